// The cpu backend's scheduler lock: a mutex that spins briefly before it sleeps.
//
// Every worker takes the one lock around the scheduler core once or twice per task, and holds it
// for a few hundred nanoseconds. A plain futex mutex (std::mutex on glibc) puts a worker that
// finds it held to sleep at once, and the next unlock must wake it through the kernel: with 8 or
// more workers the lock convoys, every hand-over costs a sleep and a wake-up (microseconds in a
// VM), and the runtime stops scaling. Spinning for a few hold times first lets a waiter take the
// lock the moment it is released, without the kernel; a waiter that spins out sleeps as before.
// The cpu backend spins only where that measured faster (docs/engine.md, "The scheduler lock").
//
// Drepper's three-state futex mutex ("Futexes Are Tricky", mutex3): 0 free, 1 held, 2 held and
// someone may sleep on it.
#pragma once

#include <atomic>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace pto::wsp::cpu {

class AdaptiveMutex {
 public:
  /// `spins`: how many times a waiter looks again before it sleeps (0: never spins).
  explicit AdaptiveMutex(int spins = 0) noexcept : spins_(spins) {}
  AdaptiveMutex(const AdaptiveMutex&) = delete;
  AdaptiveMutex& operator=(const AdaptiveMutex&) = delete;

  /// Before any thread uses the mutex.
  void set_spins(int spins) noexcept { spins_ = spins; }

  bool try_lock() noexcept {
    int free = 0;
    return state_.compare_exchange_strong(free, 1, std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }

  void lock() noexcept {
    if (try_lock()) return;
    for (int i = 0; i < spins_; ++i) {
      pause();
      // Read before trying: a failed exchange would take the line from the holder.
      if (state_.load(std::memory_order_relaxed) == 0 && try_lock()) return;
    }
    // Sleep until the holder lets go. Marking the lock 2 makes the unlock wake somebody; a
    // sleeper that wakes and takes it marks it 2 again, as others may still sleep.
    int c = state_.exchange(2, std::memory_order_acquire);
    while (c != 0) {
      sleep_while_held();
      c = state_.exchange(2, std::memory_order_acquire);
    }
  }

  void unlock() noexcept {
    if (state_.exchange(0, std::memory_order_release) == 2) wake_one();
  }

 private:
  // Not std::atomic::wait/notify_one: libstdc++ routes them through a table of waiters shared by
  // every atomic in the process, which made 1 M tiny tasks on 2 workers ~25% slower than
  // std::mutex. Linux's futex is the lock word itself.
  void sleep_while_held() noexcept {
#if defined(__linux__)
    ::syscall(SYS_futex, reinterpret_cast<int*>(&state_), FUTEX_WAIT_PRIVATE, 2, nullptr, nullptr,
              0);
#else
    state_.wait(2, std::memory_order_relaxed);
#endif
  }
  void wake_one() noexcept {
#if defined(__linux__)
    ::syscall(SYS_futex, reinterpret_cast<int*>(&state_), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr,
              0);
#else
    state_.notify_one();
#endif
  }

  static void pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }

  std::atomic<int> state_{0};
  static_assert(sizeof(std::atomic<int>) == sizeof(int) && std::atomic<int>::is_always_lock_free,
                "the futex is the atomic's own int");
  int spins_;
};

}  // namespace pto::wsp::cpu
