// A cheap monotonic nanosecond clock for per-task timestamps. On x86-64 with an invariant TSC it
// reads the time-stamp counter (a few ns) scaled by a rate calibrated against steady_clock when
// the clock is made; elsewhere it is steady_clock (tens of ns per read on some VMs).
#pragma once

#include <chrono>
#include <cstdint>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace pto::wsp::cpu {

class WallClock {
 public:
  WallClock() {
#if defined(__x86_64__)
    // Calibrate over ~2 ms of steady_clock time.
    const auto t0 = std::chrono::steady_clock::now();
    const std::uint64_t c0 = __rdtsc();
    auto t1 = t0;
    while (t1 - t0 < std::chrono::milliseconds(2)) t1 = std::chrono::steady_clock::now();
    const std::uint64_t c1 = __rdtsc();
    const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
    if (c1 > c0) ns_per_tick_ = ns / static_cast<double>(c1 - c0);
#endif
    reset();
  }

  /// Makes now_ns() count from this instant.
  void reset() {
#if defined(__x86_64__)
    if (ns_per_tick_ > 0) {
      origin_ticks_ = __rdtsc();
      return;
    }
#endif
    origin_ = std::chrono::steady_clock::now();
  }

  std::int64_t now_ns() const {
#if defined(__x86_64__)
    if (ns_per_tick_ > 0) {
      return static_cast<std::int64_t>(static_cast<double>(__rdtsc() - origin_ticks_) *
                                       ns_per_tick_);
    }
#endif
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                                origin_)
        .count();
  }

 private:
  double ns_per_tick_ = 0.0;
  std::uint64_t origin_ticks_ = 0;
  std::chrono::steady_clock::time_point origin_{};
};

}  // namespace pto::wsp::cpu
