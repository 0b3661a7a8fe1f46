// The cpu backend's scheduler lock (src/backends/cpu/adaptive_mutex.hpp): mutual exclusion with
// and without spinning, and a waiter that went to sleep is woken by the unlock.
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "backends/cpu/adaptive_mutex.hpp"

namespace pto::wsp::cpu {
namespace {

TEST(AdaptiveMutex, ExcludesWhetherOrNotItSpins) {
  for (const int spins : {0, 1, 100}) {
    AdaptiveMutex mu(spins);
    std::int64_t counter = 0;  // plain: only correct if the lock excludes
    std::atomic<int> inside{0};
    std::atomic<bool> overlap{false};
    constexpr int kThreads = 4, kRounds = 20000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < kRounds; ++i) {
          std::lock_guard<AdaptiveMutex> lk(mu);
          if (inside.fetch_add(1, std::memory_order_relaxed) != 0) overlap = true;
          ++counter;
          inside.fetch_sub(1, std::memory_order_relaxed);
        }
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_FALSE(overlap) << "spins " << spins;
    EXPECT_EQ(counter, std::int64_t{kThreads} * kRounds) << "spins " << spins;
  }
}

TEST(AdaptiveMutex, TryLockFailsWhileHeldAndSucceedsAfter) {
  AdaptiveMutex mu(10);
  mu.lock();
  bool got = true;
  std::thread([&] { got = mu.try_lock(); }).join();
  EXPECT_FALSE(got);
  mu.unlock();
  std::thread([&] {
    got = mu.try_lock();
    if (got) mu.unlock();
  }).join();
  EXPECT_TRUE(got);
}

TEST(AdaptiveMutex, TheUnlockWakesAWaiterThatSleeps) {
  for (const int spins : {0, 100}) {
    AdaptiveMutex mu(spins);
    std::atomic<bool> taken{false};
    mu.lock();
    std::thread waiter([&] {
      std::lock_guard<AdaptiveMutex> lk(mu);  // spins out long before the holder lets go
      taken = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_FALSE(taken);
    mu.unlock();
    waiter.join();  // hangs if the unlock did not wake it
    EXPECT_TRUE(taken) << "spins " << spins;
  }
}

// Several waiters asleep at once: each unlock must leave the lock marked so that the next one
// wakes another (the hand-over of the three-state protocol).
TEST(AdaptiveMutex, EveryOneOfSeveralSleepersGetsTheLock) {
  AdaptiveMutex mu(0);  // waiters sleep at once
  std::atomic<int> taken{0};
  mu.lock();
  std::vector<std::thread> waiters;
  for (int i = 0; i < 4; ++i) {
    waiters.emplace_back([&] {
      std::lock_guard<AdaptiveMutex> lk(mu);
      taken.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // the others stay asleep
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(taken, 0);
  mu.unlock();
  for (std::thread& t : waiters) t.join();  // hangs if a sleeper is never woken
  EXPECT_EQ(taken, 4);
}

}  // namespace
}  // namespace pto::wsp::cpu
