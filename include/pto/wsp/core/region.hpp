// The set of elements a tensor view covers, and the overlap test dependency tracking relies on.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace pto::wsp {

inline constexpr int kMaxRank = 8;

/// What a view covers: a strided box in the coordinates of the root tensor it was cut from, plus
/// the byte interval it spans. Two regions of the same (non-aliasing) root are compared exactly,
/// dimension by dimension; regions of different roots are compared by byte interval, which is
/// conservative (it may report overlap for interleaved but disjoint views, never the reverse).
struct Region {
  const void* root = nullptr;  ///< identity of the root layout; null for an empty region
  bool exact = false;          ///< the root maps coordinates to addresses one-to-one
  std::uintptr_t lo = 0;       ///< first byte covered
  std::uintptr_t hi = 0;       ///< one past the last byte covered (lo == hi: empty)
  int rank = 0;                ///< rank of the root
  std::array<std::int64_t, kMaxRank> start{};  ///< first coordinate per root dimension
  std::array<std::int64_t, kMaxRank> count{};  ///< number of coordinates per root dimension
  std::array<std::int64_t, kMaxRank> step{};   ///< distance between coordinates (> 0)

  bool empty() const noexcept { return lo == hi; }
  /// Number of elements covered.
  std::int64_t elements() const noexcept;
  /// True when some element is covered by both regions.
  bool overlaps(const Region& other) const noexcept;
  /// True when every element of `other` is covered by this region. Exact for regions of one
  /// non-aliasing root; false (the safe answer) for regions of different roots.
  bool contains(const Region& other) const noexcept;
  /// Root coordinates, one entry per root dimension: "3" (one index), "0:4" (a range), "2:7:2"
  /// (start:one-past-last-element:step, i.e. 2, 4, 6).
  std::string to_string() const;
};

/// Whether two arithmetic progressions {a + i*s | 0 <= i < n} and {b + j*t | 0 <= j < m} share a
/// value. Exact (solves the congruences with the extended Euclidean algorithm); s, t > 0.
bool progressions_intersect(std::int64_t a, std::int64_t s, std::int64_t n, std::int64_t b,
                            std::int64_t t, std::int64_t m) noexcept;

}  // namespace pto::wsp
