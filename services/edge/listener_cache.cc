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

void ListenerCache::Finish(const std::string& key, uint64_t generation,
                           Value value, std::chrono::milliseconds ttl) {
  std::vector<Callback> callers;
  {
    absl::MutexLock lock(&mu_);
    if (ttl.count() > 0 && generation == generation_) {
      if (auto it = index_.find(key); it != index_.end()) {
        slots_.erase(it->second);
        index_.erase(it);
      }
      if (slots_.size() >= kMaxSlots) {
        index_.erase(slots_.back().key);
        slots_.pop_back();
      }
      slots_.push_front(Slot{key, value, clock_() + ttl});
      index_[key] = slots_.begin();
    }
    auto w = waiting_.find(key);
    if (w != waiting_.end() && w->second.generation == generation) {
      callers.swap(w->second.callers);
      waiting_.erase(w);
    }
  }
  for (Callback& done : callers) done(value);
}

void ListenerCache::Invalidate(const std::string& listener_uuid) {
  absl::MutexLock lock(&mu_);
  ++generation_;
  for (auto it = slots_.begin(); it != slots_.end();) {
    const std::string& key = it->key;
    bool match = key.size() > listener_uuid.size() &&
                 key.compare(key.size() - listener_uuid.size(),
                             listener_uuid.size(), listener_uuid) == 0;
    if (match) {
      index_.erase(key);
      it = slots_.erase(it);
    } else {
      ++it;
    }
  }
}

void ListenerCache::Get(const std::string& integration_uuid,
                        const std::string& listener_uuid, Callback done) {
  const std::string key = integration_uuid + "/" + listener_uuid;
  std::optional<Value> cached;
  uint64_t generation = 0;
  std::vector<Callback> superseded;
  {
    absl::MutexLock lock(&mu_);
    generation = generation_;
    auto it = index_.find(key);
    auto w = waiting_.find(key);
    if (it != index_.end() && it->second->expires > clock_()) {
      slots_.splice(slots_.begin(), slots_, it->second);
      cached = it->second->value;
    } else if (w != waiting_.end() && w->second.generation == generation) {
      w->second.callers.push_back(std::move(done));  // a fetch is under way
      return;
    } else {
      // A fetch begun before an invalidation is not joined: its callers
      // still get its answer (they asked before the change), new ones wait
      // for a fresh fetch. Its entry is replaced, so they are answered here.
      if (w != waiting_.end()) superseded.swap(w->second.callers);
      waiting_[key] = Pending{generation, {std::move(done)}};
    }
  }
  if (cached) {
    done(std::move(*cached));
    return;
  }
  Fetch(integration_uuid, listener_uuid,
        [this, key, generation, superseded = std::move(superseded)](
            Value value, std::chrono::milliseconds ttl) mutable {
          for (Callback& early : superseded) early(value);
          Finish(key, generation, std::move(value), ttl);
        });
}

void ListenerCache::Fetch(
    const std::string& integration_uuid, const std::string& listener_uuid,
    std::function<void(Value, std::chrono::milliseconds)> done) {
  v1::GetListenerRequest request;
  request.set_integration_uuid(integration_uuid);
  request.set_listener_uuid(listener_uuid);
  auto* schema = backends_->schema.get();
  AsyncCall<v1::GetListenerRequest, v1::Listener>(
      [schema](auto* c, auto* q, auto* r, auto cb) {
        schema->async()->GetListener(c, q, r, cb);
      },
      std::move(request), kCallTimeout,
      [this, listener_uuid, done](absl::Status status, v1::Listener& listener) {
        if (status.code() == absl::StatusCode::kNotFound) {
          done(status, std::chrono::milliseconds(1000));
          return;
        }
        if (!status.ok()) {
          done(status, std::chrono::milliseconds(0));
          return;
        }
        auto mapper = mapping::RecordMapper::Create(listener.structure());
        if (!mapper.ok()) {
          done(mapper.status(), std::chrono::milliseconds(0));
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
            [this, entry, done](absl::Status status, v1::Verifier& verifier) {
              if (!status.ok()) {
                // A listener without a credential cannot be verified: treat
                // the backend as unavailable rather than letting requests in.
                if (status.code() == absl::StatusCode::kNotFound) {
                  status = absl::UnavailableError(
                      "listener credential not available");
                }
                done(status, std::chrono::milliseconds(0));
                return;
              }
              entry->verifier = std::move(verifier);
              done(std::shared_ptr<const ListenerEntry>(entry), ttl_);
            });
      });
}

}  // namespace sluice::edge
