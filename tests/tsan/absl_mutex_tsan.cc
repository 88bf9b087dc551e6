// Linked into every binary of a TSan build (SLUICE_SANITIZE=thread) only.
//
// Debian's abseil is not built with TSan, so ThreadSanitizer cannot see
// absl::Mutex lock and unlock and reports races on everything a mutex
// guards. These definitions take the place of absl::Mutex's locking calls
// made from Sluice's code (a definition in the executable comes before the
// shared library's), call the library's own, and tell TSan what they mean:
// acquiring after a lock, releasing before an unlock, and both around a
// wait, which unlocks and locks again inside the library.
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdlib>

#include "absl/synchronization/mutex.h"

namespace {

template <typename Fn>
Fn Library(const char* symbol) {
  void* fn = dlsym(RTLD_NEXT, symbol);
  if (fn == nullptr) std::abort();
  return reinterpret_cast<Fn>(fn);
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

void Mutex::Lock() {
  static auto lock = Library<void (*)(Mutex*)>("_ZN4absl7debian35Mutex4LockEv");
  lock(this);
  __tsan_acquire(this);
}

void Mutex::Unlock() {
  static auto unlock =
      Library<void (*)(Mutex*)>("_ZN4absl7debian35Mutex6UnlockEv");
  __tsan_release(this);
  unlock(this);
}

bool Mutex::TryLock() {
  static auto try_lock =
      Library<bool (*)(Mutex*)>("_ZN4absl7debian35Mutex7TryLockEv");
  bool locked = try_lock(this);
  if (locked) __tsan_acquire(this);
  return locked;
}

void Mutex::ReaderLock() {
  static auto lock =
      Library<void (*)(Mutex*)>("_ZN4absl7debian35Mutex10ReaderLockEv");
  lock(this);
  __tsan_acquire(this);
}

void Mutex::ReaderUnlock() {
  static auto unlock =
      Library<void (*)(Mutex*)>("_ZN4absl7debian35Mutex12ReaderUnlockEv");
  __tsan_release(this);
  unlock(this);
}

void Mutex::Await(const Condition& cond) {
  static auto await = Library<void (*)(Mutex*, const Condition&)>(
      "_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE");
  __tsan_release(this);
  await(this, cond);
  __tsan_acquire(this);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, absl::Duration timeout) {
  static auto await = Library<bool (*)(Mutex*, const Condition&, Duration)>(
      "_ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_"
      "8DurationE");
  __tsan_release(this);
  bool met = await(this, cond, timeout);
  __tsan_acquire(this);
  return met;
}

ABSL_NAMESPACE_END
}  // namespace absl
