#include "common/ops/ops_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>

namespace sluice {
namespace {

// One HTTP GET on loopback; returns the response (status line, headers,
// body), or "" when none came within 5 s.
std::string Get(int port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return "connect failed";
  }
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
  (void)::send(fd, request.data(), request.size(), 0);
  std::string response;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof(buf), 0)) > 0) {
    response.append(buf, n);
    size_t end = response.find("\r\n\r\n");
    size_t length = response.find("Content-Length: ");
    if (end != std::string::npos && length != std::string::npos &&
        response.size() >= end + 4 + std::stoul(response.substr(length + 16))) {
      break;
    }
  }
  ::close(fd);
  return response;
}

TEST(OpsServerTest, AHangingReadinessCheckHoldsUpNothing) {
  std::atomic<bool> hang{false};
  std::atomic<int> checks{0};
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  OpsServerOptions options;
  options.ready = [&]() -> absl::Status {
    ++checks;
    if (hang) {
      released.wait();
      return absl::UnavailableError("database unavailable");
    }
    return absl::OkStatus();
  };
  options.ready_interval = std::chrono::milliseconds(10);
  OpsServer server(options);
  ASSERT_TRUE(server.Start().ok());
  while (checks < 2) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_NE(Get(server.port(), "/readyz").find("200 OK"), std::string::npos);
  hang = true;
  int before = checks;
  while (checks == before) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // The check hangs now; both endpoints still answer, /readyz with the last
  // verdict.
  EXPECT_NE(Get(server.port(), "/healthz").find("200 OK"), std::string::npos);
  EXPECT_NE(Get(server.port(), "/readyz").find("200 OK"), std::string::npos);
  release.set_value();  // from now on the check fails at once
  std::string ready;
  for (int i = 0; i < 500 && ready.find("503") == std::string::npos; ++i) {
    ready = Get(server.port(), "/readyz");
  }
  // The verdict follows the check once it returns.
  EXPECT_NE(ready.find("database unavailable"), std::string::npos) << ready;
  server.Shutdown();
}

}  // namespace
}  // namespace sluice
