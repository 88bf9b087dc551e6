#include "services/edge/listener_cache.h"

#include <optional>

namespace sluice::edge {
namespace {

constexpr std::chrono::milliseconds kCallTimeout(3000);
constexpr size_t kMaxSlots = 100000;

}  // namespace

ListenerCache::ListenerCache(Backends* backends, std::chrono::milliseconds ttl,
                             Clock clock)
    : backends_(backends), ttl_(ttl), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
}

void ListenerCache::Store(
    const std::string& key,
    absl::StatusOr<std::shared_ptr<const ListenerEntry>> value,
    std::chrono::milliseconds ttl) {
  absl::MutexLock lock(&mu_);
  if (slots_.size() >= kMaxSlots) {
    // Bounded memory: drop expired slots, and everything if that is not enough.
    auto now = clock_();
    for (auto it = slots_.begin(); it != slots_.end();) {
      it = it->second.expires <= now ? slots_.erase(it) : std::next(it);
    }
    if (slots_.size() >= kMaxSlots) slots_.clear();
  }
  slots_[key] = Slot{std::move(value), clock_() + ttl};
}

void ListenerCache::Invalidate(const std::string& listener_uuid) {
  absl::MutexLock lock(&mu_);
  for (auto it = slots_.begin(); it != slots_.end();) {
    it = it->first.size() > listener_uuid.size() &&
                 it->first.compare(it->first.size() - listener_uuid.size(),
                                   listener_uuid.size(), listener_uuid) == 0
             ? slots_.erase(it)
             : std::next(it);
  }
}

void ListenerCache::Get(const std::string& integration_uuid,
                        const std::string& listener_uuid, Callback done) {
  const std::string key = integration_uuid + "/" + listener_uuid;
  std::optional<absl::StatusOr<std::shared_ptr<const ListenerEntry>>> cached;
  {
    absl::MutexLock lock(&mu_);
    auto it = slots_.find(key);
    if (it != slots_.end() && it->second.expires > clock_())
      cached = it->second.value;
  }
  if (cached) {
    done(std::move(*cached));
    return;
  }
  v1::GetListenerRequest request;
  request.set_integration_uuid(integration_uuid);
  request.set_listener_uuid(listener_uuid);
  auto* schema = backends_->schema.get();
  AsyncCall<v1::GetListenerRequest, v1::Listener>(
      [schema](auto* c, auto* q, auto* r, auto cb) {
        schema->async()->GetListener(c, q, r, cb);
      },
      std::move(request), kCallTimeout,
      [this, key, listener_uuid, done](absl::Status status,
                                       v1::Listener& listener) {
        if (status.code() == absl::StatusCode::kNotFound) {
          Store(key, status, std::chrono::milliseconds(1000));
          done(status);
          return;
        }
        if (!status.ok()) {
          done(status);
          return;
        }
        auto mapper = mapping::RecordMapper::Create(listener.structure());
        if (!mapper.ok()) {
          done(mapper.status());
          return;
        }
        auto entry = std::make_shared<ListenerEntry>();
        entry->listener = std::move(listener);
        entry->mapper = *mapper;
        v1::GetVerifierRequest verifier_request;
        verifier_request.set_listener_uuid(listener_uuid);
        auto* auth = backends_->auth.get();
        AsyncCall<v1::GetVerifierRequest, v1::Verifier>(
            [auth](auto* c, auto* q, auto* r, auto cb) {
              auth->async()->GetVerifier(c, q, r, cb);
            },
            std::move(verifier_request), kCallTimeout,
            [this, key, entry, done](absl::Status status,
                                     v1::Verifier& verifier) {
              if (!status.ok()) {
                // A listener without a credential cannot be verified: treat
                // the backend as unavailable rather than letting requests in.
                if (status.code() == absl::StatusCode::kNotFound) {
                  status = absl::UnavailableError(
                      "listener credential not available");
                }
                done(status);
                return;
              }
              entry->verifier = std::move(verifier);
              std::shared_ptr<const ListenerEntry> value = entry;
              Store(key, value, ttl_);
              done(value);
            });
      });
}

}  // namespace sluice::edge
