#include "common/ops/ops_server.h"

#include <pistache/endpoint.h>
#include <pistache/http.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/ops/metrics.h"

namespace sluice {

class OpsServer::Impl {
 public:
  // The latest readiness verdict, refreshed by its own thread.
  class Readiness {
   public:
    explicit Readiness(const OpsServerOptions* options) : options_(options) {
      if (!options_->ready) return;
      checker_ = std::thread([this] {
        absl::MutexLock lock(&mu_);
        while (!stopping_) {
          checking_since_ = std::chrono::steady_clock::now();
          checking_ = true;
          mu_.Unlock();
          absl::Status status = options_->ready();
          mu_.Lock();
          checking_ = false;
          latest_ = std::move(status);
          mu_.AwaitWithTimeout(absl::Condition(&stopping_),
                               absl::FromChrono(options_->ready_interval));
        }
      });
    }
    ~Readiness() {
      {
        absl::MutexLock lock(&mu_);
        stopping_ = true;
      }
      if (checker_.joinable()) checker_.join();
    }
    absl::Status Latest() {
      if (!options_->ready) return absl::OkStatus();
      absl::MutexLock lock(&mu_);
      if (checking_ &&
          std::chrono::steady_clock::now() - checking_since_ > kSlowCheck) {
        return absl::UnavailableError("the readiness check is not answering");
      }
      return latest_;
    }

   private:
    const OpsServerOptions* options_;
    absl::Mutex mu_;
    absl::Status latest_ ABSL_GUARDED_BY(mu_) =
        absl::UnavailableError("readiness not checked yet");
    bool stopping_ ABSL_GUARDED_BY(mu_) = false;
    // A check taking longer than this means the dependency is not answering.
    static constexpr std::chrono::seconds kSlowCheck{3};
    bool checking_ ABSL_GUARDED_BY(mu_) = false;
    std::chrono::steady_clock::time_point checking_since_ ABSL_GUARDED_BY(mu_);
    std::thread checker_;
  };

  class Handler : public Pistache::Http::Handler {
   public:
    HTTP_PROTOTYPE(Handler)
    Handler(const OpsServerOptions* options, Readiness* readiness)
        : options_(options), readiness_(readiness) {}

    void onRequest(const Pistache::Http::Request& request,
                   Pistache::Http::ResponseWriter response) override {
      using Pistache::Http::Code;
      const std::string& path = request.resource();
      auto text = MIME(Text, Plain);
      if (path == "/healthz") {
        response.send(Code::Ok, "ok\n", text);
      } else if (path == "/readyz") {
        absl::Status status = readiness_->Latest();
        if (status.ok()) {
          response.send(Code::Ok, "ready\n", text);
        } else {
          response.send(Code::Service_Unavailable,
                        absl::StrCat("not ready: ", status.message(), "\n"),
                        text);
        }
      } else if (path == "/metrics") {
        std::string body = options_->metrics ? options_->metrics->Render() : "";
        response.send(Code::Ok, body, text);
      } else {
        response.send(Code::Not_Found, "not found\n", text);
      }
    }

   private:
    const OpsServerOptions* options_;
    Readiness* readiness_;
  };

  explicit Impl(const OpsServerOptions* options) : readiness(options) {}

  Readiness readiness;
  std::unique_ptr<Pistache::Http::Endpoint> endpoint;
};

OpsServer::OpsServer(OpsServerOptions options) : options_(std::move(options)) {}

OpsServer::~OpsServer() { Shutdown(); }

absl::Status OpsServer::Start() {
  try {
    impl_ = std::make_unique<Impl>(&options_);
    Pistache::Address address(options_.address, Pistache::Port(options_.port));
    impl_->endpoint = std::make_unique<Pistache::Http::Endpoint>(address);
    auto opts = Pistache::Http::Endpoint::options().threads(1).flags(
        Pistache::Tcp::Options::ReuseAddr | Pistache::Tcp::Options::NoDelay);
    impl_->endpoint->init(opts);
    impl_->endpoint->setHandler(Pistache::Http::make_handler<Impl::Handler>(
        &options_, &impl_->readiness));
    impl_->endpoint->serveThreaded();
    port_ = static_cast<uint16_t>(impl_->endpoint->getPort());
    return absl::OkStatus();
  } catch (const std::exception& e) {
    impl_.reset();
    return absl::UnavailableError(
        absl::StrCat("ops server on port ", options_.port, ": ", e.what()));
  }
}

void OpsServer::Shutdown() {
  if (impl_ && impl_->endpoint) {
    impl_->endpoint->shutdown();
    impl_->endpoint.reset();
  }
  impl_.reset();
}

}  // namespace sluice
