#include "tests/testing/test_stack.h"

#include <curl/curl.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/rpc/rpc.h"

namespace sluice::testing {
namespace {

size_t WriteBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

size_t WriteHeader(char* data, size_t size, size_t n, void* out) {
  std::string line(data, size * n);
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    auto* headers = static_cast<std::map<std::string, std::string>*>(out);
    (*headers)[absl::AsciiStrToLower(line.substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  }
  return size * n;
}

}  // namespace

HttpsClient::HttpsClient(std::string cacert) : cacert_(std::move(cacert)) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_ALL); });
  curl_ = curl_easy_init();
}

HttpsClient::~HttpsClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

HttpResponse HttpsClient::Send(const std::string& method,
                               const std::string& url, const std::string& body,
                               const std::vector<std::string>& headers,
                               std::chrono::milliseconds timeout) {
  CURL* curl = static_cast<CURL*>(curl_);
  HttpResponse response;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CAINFO, cacert_.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_NOBODY, method == "HEAD" ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
  if (!body.empty() || method == "POST" || method == "PUT" ||
      method == "PATCH") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(body.size()));
  } else {
    // Back to a bodyless request on a reused handle, then set the verb.
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  struct curl_slist* list = nullptr;
  list = curl_slist_append(list, "Expect:");
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(list);
  if (code != CURLE_OK) {
    response.error = curl_easy_strerror(code);
    return response;
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &response.seconds);
  curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &response.new_connections);
  return response;
}

TestStack& TestStack::Get() {
  static TestStack* stack = new TestStack();
  return *stack;
}

namespace {
std::map<std::string, std::string> ReadEnv() {
  const char* dir = std::getenv("SLUICE_TEST_STACK");
  if (dir == nullptr)
    throw std::runtime_error("SLUICE_TEST_STACK is not set; run through ctest");
  std::ifstream in(std::string(dir) + "/stack.env");
  if (!in)
    throw std::runtime_error("no stack.env; the stack fixture did not run");
  std::map<std::string, std::string> env;
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return env;
}
}  // namespace

TestStack::TestStack()
    : env_(ReadEnv()),
      var_(env_["SLUICE_VAR"]),
      source_(env_["SLUICE_SOURCE"]),
      admin_key_(env_["SLUICE_ADMIN_KEY"]),
      cacert_(var_ + "/tls/cert.pem"),
      base_(std::atoi(env_["SLUICE_PORT_BASE"].c_str())),
      admin_client_(cacert_) {}

bool TestStack::grpc_tls() const {
  auto it = env_.find("SLUICE_GRPC_TLS");
  return it != env_.end() && it->second == "1";
}

std::shared_ptr<grpc::Channel> TestStack::GrpcChannel(int offset) const {
  if (grpc_tls()) {
    // Read once by the process's first channel: the same for all.
    const std::string dir = var_ + "/grpc-tls/";
    setenv("SLUICE_GRPC_TLS_CERT_FILE", (dir + "tls.crt").c_str(), 0);
    setenv("SLUICE_GRPC_TLS_KEY_FILE", (dir + "tls.key").c_str(), 0);
    setenv("SLUICE_GRPC_TLS_CA_FILE", (dir + "ca.crt").c_str(), 0);
  }
  return MakeChannel(absl::StrCat("127.0.0.1:", port(offset)));
}

std::string TestStack::IngestUrl(const std::string& path) const {
  return absl::StrCat("https://localhost:", base_, path);
}

std::string TestStack::AdminUrl(const std::string& path) const {
  return absl::StrCat("https://localhost:", base_ + 1, path);
}

HttpResponse TestStack::Admin(const std::string& method,
                              const std::string& path,
                              const std::string& body) {
  std::vector<std::string> headers = {"Authorization: Bearer " + admin_key_};
  if (!body.empty()) headers.push_back("Content-Type: application/json");
  return admin_client_.Send(method, AdminUrl(path), body, headers);
}

void TestStack::Script(const std::string& args) {
  std::string command;
  for (const auto& [k, v] : env_) absl::StrAppend(&command, k, "='", v, "' ");
  absl::StrAppend(&command, source_, "/scripts/stack.sh ", args,
                  " >/dev/null 2>&1");
  if (std::system(command.c_str()) != 0)
    throw std::runtime_error("stack.sh " + args + " failed");
}

void TestStack::Stop(const std::string& part) { Script("stop " + part); }
void TestStack::Start(const std::string& part) { Script("start " + part); }
void TestStack::Restart() {
  Script("down");
  Script("up");
}

bool TestStack::WaitReady(const std::string& part,
                          std::chrono::seconds timeout) {
  static const std::map<std::string, int> kOpsOffset = {{"edge", 4},
                                                        {"auth", 6},
                                                        {"schema", 8},
                                                        {"storage", 10},
                                                        {"retention", 12}};
  std::string url =
      absl::StrCat("http://127.0.0.1:", base_ + kOpsOffset.at(part), "/readyz");
  auto deadline = std::chrono::steady_clock::now() + timeout;
  HttpsClient client(cacert_);
  while (std::chrono::steady_clock::now() < deadline) {
    if (client.Send("GET", url, "", {}, std::chrono::seconds(2)).status == 200)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::string TestStack::Env(const std::string& name) const {
  auto it = env_.find(name);
  return it == env_.end() ? "" : it->second;
}

std::vector<std::vector<std::string>> TestStack::Query(const std::string& sql) {
  return Query(sql, base_ + 13);
}

std::vector<std::vector<std::string>> TestStack::Query(const std::string& sql,
                                                       int db_port) {
  std::string file = var_ + "/query." + std::to_string(::getpid()) + ".sql";
  {
    std::ofstream out(file);
    out << sql;
  }
  std::string output_file = file + ".out";
  std::string command = absl::StrCat(
      "mariadb --no-defaults -uroot -h127.0.0.1 -P", db_port,
      " --batch --skip-column-names --default-character-set=utf8mb4 < ", file,
      " > ", output_file, " 2>&1");
  int rc = std::system(command.c_str());
  std::ifstream in(output_file);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> row;
    size_t start = 0;
    while (true) {
      size_t tab = line.find('\t', start);
      row.push_back(line.substr(
          start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    rows.push_back(std::move(row));
  }
  std::remove(file.c_str());
  std::remove(output_file.c_str());
  if (rc != 0) throw std::runtime_error("query failed: " + sql);
  return rows;
}

std::string TestStack::CreateIntegration(const std::string& prefix) {
  HttpResponse r = Admin("POST", "/api/v1/integrations",
                         nlohmann::json({{"name", Unique(prefix)}}).dump());
  if (r.status != 201)
    throw std::runtime_error("create integration: " + r.body + r.error);
  return JsonField(r.body, "uuid");
}

std::string Unique(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return absl::StrCat(prefix, "_", ::getpid(), "_", counter++);
}

std::string JsonField(const std::string& text, const std::string& key) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains(key)) return "";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

}  // namespace sluice::testing
