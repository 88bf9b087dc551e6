#include "common/rpc/rpc.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/support/server_interceptor.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/ops/metrics.h"

namespace sluice {
namespace {

// Records every RPC's method, status code and latency.
class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(grpc::experimental::ServerRpcInfo* info,
                     RequestMetrics* metrics)
      : info_(info),
        metrics_(metrics),
        start_(std::chrono::steady_clock::now()) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      std::string method = info_->method() ? info_->method() : "unknown";
      size_t slash = method.rfind('/');
      if (slash != std::string::npos) method = method.substr(slash + 1);
      double seconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - start_)
                           .count();
      metrics_->Record(method, std::to_string(status.error_code()), seconds);
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
  RequestMetrics* metrics_;
  std::chrono::steady_clock::time_point start_;
};

class MetricsInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(RequestMetrics* metrics)
      : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(info, metrics_);
  }

 private:
  RequestMetrics* metrics_;
};

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::string(value) : std::string();
}

struct TlsFiles {
  std::string cert;
  std::string key;
  std::string ca;
  bool enabled() const { return !cert.empty(); }
};

TlsFiles TlsFilesNamed() {
  return TlsFiles{Env("SLUICE_GRPC_TLS_CERT_FILE"),
                  Env("SLUICE_GRPC_TLS_KEY_FILE"),
                  Env("SLUICE_GRPC_TLS_CA_FILE")};
}

absl::StatusOr<TlsFiles> LoadTlsFiles() {
  TlsFiles files = TlsFilesNamed();
  const int set = !files.cert.empty() + !files.key.empty() + !files.ca.empty();
  if (set == 0) return files;
  if (set != 3) {
    return absl::InvalidArgumentError(
        "set all of SLUICE_GRPC_TLS_CERT_FILE, SLUICE_GRPC_TLS_KEY_FILE and "
        "SLUICE_GRPC_TLS_CA_FILE, or none");
  }
  // Parsed here so that a wrong file stops the start with its name instead
  // of failing every handshake later.
  auto open = [](const std::string& path) {
    return std::unique_ptr<BIO, decltype(&BIO_free)>(
        BIO_new_file(path.c_str(), "r"), &BIO_free);
  };
  auto unusable = [](const std::string& path, const char* what) {
    return absl::FailedPreconditionError(
        absl::StrCat("the gRPC TLS file ", path, " ", what));
  };
  auto cert_bio = open(files.cert), key_bio = open(files.key),
       ca_bio = open(files.ca);
  if (!cert_bio) return unusable(files.cert, "cannot be read");
  if (!key_bio) return unusable(files.key, "cannot be read");
  if (!ca_bio) return unusable(files.ca, "cannot be read");
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!cert) return unusable(files.cert, "holds no PEM certificate");
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr),
      &EVP_PKEY_free);
  if (!key) return unusable(files.key, "holds no PEM private key");
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return unusable(files.key, "is not the key of the certificate");
  }
  std::unique_ptr<X509, decltype(&X509_free)> ca(
      PEM_read_bio_X509(ca_bio.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!ca) return unusable(files.ca, "holds no PEM certificate");
  ERR_clear_error();
  return files;
}

const absl::StatusOr<TlsFiles>& Tls() {
  static const absl::StatusOr<TlsFiles> files = LoadTlsFiles();
  return files;
}

constexpr unsigned int kTlsRefreshSeconds = 60;

std::shared_ptr<grpc::experimental::CertificateProviderInterface>
TlsProvider(const TlsFiles& files) {
  return std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      files.key, files.cert, files.ca, kTlsRefreshSeconds);
}

std::shared_ptr<grpc::ServerCredentials> ServerCredentials() {
  if (!Tls().ok() || !Tls()->enabled()) {
    return grpc::InsecureServerCredentials();
  }
  grpc::experimental::TlsServerCredentialsOptions options(TlsProvider(*Tls()));
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_cert_request_type(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  return grpc::experimental::TlsServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials() {
  if (Tls().ok() && !Tls()->enabled()) {
    return grpc::InsecureChannelCredentials();
  }
  // Unusable settings (CheckGrpcTls fails the start) never fall back to
  // plaintext: the files named are tried, and the handshake fails.
  TlsFiles files = Tls().ok() ? *Tls() : TlsFilesNamed();
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(TlsProvider(files));
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_verify_server_certs(true);
  options.set_certificate_verifier(
      std::make_shared<grpc::experimental::HostNameCertificateVerifier>());
  return grpc::experimental::TlsCredentials(options);
}

}  // namespace

absl::Status CheckGrpcTls() { return Tls().status(); }

GrpcServerOptions GrpcServerOptionsFromEnvironment() {
  GrpcServerOptions options;
  int ms = 0;
  if (absl::SimpleAtoi(Env("SLUICE_GRPC_MAX_CONNECTION_AGE_MS"), &ms) &&
      ms > 0) {
    options.max_connection_age = std::chrono::milliseconds(ms);
  }
  if (absl::SimpleAtoi(Env("SLUICE_GRPC_MAX_CONNECTION_AGE_GRACE_MS"), &ms) &&
      ms >= 0) {
    options.max_connection_age_grace = std::chrono::milliseconds(ms);
  }
  return options;
}

absl::StatusOr<GrpcServer> StartGrpcServer(
    const std::string& address, const std::vector<grpc::Service*>& services,
    RequestMetrics* metrics, const GrpcServerOptions& options) {
  if (absl::Status tls = CheckGrpcTls(); !tls.ok()) return tls;
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  GrpcServer result;
  builder.AddListeningPort(address, ServerCredentials(), &result.port);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddChannelArgument(
      GRPC_ARG_MAX_CONNECTION_AGE_MS,
      static_cast<int>(options.max_connection_age.count()));
  builder.AddChannelArgument(
      GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
      static_cast<int>(options.max_connection_age_grace.count()));
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  for (grpc::Service* service : services) builder.RegisterService(service);
  if (metrics != nullptr) {
    std::vector<
        std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        factories;
    factories.push_back(std::make_unique<MetricsInterceptorFactory>(metrics));
    builder.experimental().SetInterceptorCreators(std::move(factories));
  }
  result.server = builder.BuildAndStart();
  if (!result.server || result.port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address));
  }
  return result;
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 20000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  args.SetServiceConfigJSON(R"({"loadBalancingConfig":[{"round_robin":{}}]})");
  return grpc::CreateCustomChannel(target, ChannelCredentials(), args);
}

absl::Status CheckChannel(grpc::Channel& channel, const std::string& what,
                          std::chrono::milliseconds timeout) {
  if (channel.GetState(true) == GRPC_CHANNEL_READY) return absl::OkStatus();
  if (channel.WaitForConnected(std::chrono::system_clock::now() + timeout)) {
    return absl::OkStatus();
  }
  return absl::UnavailableError(absl::StrCat(what, " is not reachable"));
}

std::unique_ptr<grpc::ClientContext> ContextWithDeadline(
    std::chrono::milliseconds timeout, bool wait_for_ready) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_wait_for_ready(wait_for_ready);
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  return context;
}

BlockingExecutor::BlockingExecutor(int threads, size_t max_queued)
    : max_queued_(max_queued) {
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] {
      while (true) {
        std::function<void()> job;
        {
          std::unique_lock<std::mutex> lock(mu_);
          cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
          if (jobs_.empty()) return;
          job = std::move(jobs_.front());
          jobs_.pop_front();
        }
        job();
      }
    });
  }
}

BlockingExecutor::~BlockingExecutor() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void BlockingExecutor::Submit(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

bool BlockingExecutor::TrySubmit(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (max_queued_ > 0 && jobs_.size() >= max_queued_) return false;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

namespace {

// The job Offload queues: skipped when the caller has gone.
std::function<void()> OffloadJob(grpc::CallbackServerContext* context,
                                 grpc::ServerUnaryReactor* reactor,
                                 std::function<grpc::Status()> fn) {
  return [context, reactor, fn = std::move(fn)] {
    if (context->IsCancelled() ||
        std::chrono::system_clock::now() >= context->deadline()) {
      // Whoever called has answered already; doing the work now could only
      // write what was reported as not written.
      reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED,
                                   "the caller gave up while this waited"));
      return;
    }
    reactor->Finish(fn());
  };
}

}  // namespace

grpc::ServerUnaryReactor* BlockingExecutor::Offload(
    grpc::CallbackServerContext* context, std::function<grpc::Status()> fn) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Submit(OffloadJob(context, reactor, std::move(fn)));
  return reactor;
}

grpc::ServerUnaryReactor* BlockingExecutor::OffloadOrShed(
    grpc::CallbackServerContext* context, std::function<grpc::Status()> fn) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!TrySubmit(OffloadJob(context, reactor, std::move(fn)))) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                 "overloaded: too many requests waiting"));
  }
  return reactor;
}

}  // namespace sluice
