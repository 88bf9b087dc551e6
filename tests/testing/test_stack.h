#ifndef SLUICE_TESTS_TESTING_TEST_STACK_H_
#define SLUICE_TESTS_TESTING_TEST_STACK_H_

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace grpc {
class Channel;
}  // namespace grpc

namespace sluice::testing {

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  double seconds = 0;
  // Connections curl opened for this request (0 when it reused one).
  long new_connections = 0;
  std::string error;  // curl's error, when the request failed
};

// A client for the stack's HTTPS ports; keeps its connection between calls
// (like any HTTP/1.1 client that sends no Connection header).
class HttpsClient {
 public:
  explicit HttpsClient(std::string cacert);
  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  HttpResponse Send(
      const std::string& method, const std::string& url,
      const std::string& body = "",
      const std::vector<std::string>& headers = {},
      std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  std::string cacert_;
  void* curl_;
};

// The stack the ctest fixture started (tests/testing/stack_fixture.sh),
// found through $SLUICE_TEST_STACK/stack.env.
class TestStack {
 public:
  static TestStack& Get();

  std::string IngestUrl(const std::string& path = "") const;
  std::string AdminUrl(const std::string& path = "") const;
  const std::string& admin_key() const { return admin_key_; }
  const std::string& cacert() const { return cacert_; }
  const std::string& var_dir() const { return var_; }
  int port(int offset) const { return base_ + offset; }

  // A channel to the gRPC server at port(offset), through the product's own
  // client (sluice::MakeChannel), with the stack's client certificate when
  // the services speak mutual TLS.
  std::shared_ptr<grpc::Channel> GrpcChannel(int offset) const;
  bool grpc_tls() const;

  // Admin API call with the admin key.
  HttpResponse Admin(const std::string& method, const std::string& path,
                     const std::string& body = "");

  // Stops / starts one part (mariadb, auth, schema, storage, retention,
  // edge, nginx) through scripts/stack.sh.
  void Stop(const std::string& part);
  void Start(const std::string& part);
  // `make down && make up` for this stack.
  void Restart();
  // Waits until the part's ops /readyz answers 200 (edge for "stack").
  bool WaitReady(const std::string& part, std::chrono::seconds timeout);

  // Runs a query on the stack's MariaDB; each row is its columns as text
  // ("NULL" for NULL).
  std::vector<std::vector<std::string>> Query(const std::string& sql);
  // The same on the MySQL server at `db_port` (a node of a cluster).
  std::vector<std::vector<std::string>> Query(const std::string& sql,
                                              int db_port);
  // A variable of stack.env ("" when unset).
  std::string Env(const std::string& name) const;

  // Creates an integration with a unique name; returns its uuid.
  std::string CreateIntegration(const std::string& prefix);

 private:
  TestStack();
  void Script(const std::string& args);

  std::map<std::string, std::string> env_;
  std::string var_, source_, admin_key_, cacert_;
  int base_ = 0;
  HttpsClient admin_client_;
};

// A unique suffix for names in one test run.
std::string Unique(const std::string& prefix);

// Parses `text` as JSON and returns the string at `key` ("" when absent).
std::string JsonField(const std::string& text, const std::string& key);

}  // namespace sluice::testing

#endif  // SLUICE_TESTS_TESTING_TEST_STACK_H_
