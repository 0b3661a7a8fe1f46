// Exact overlap of strided boxes (per-dimension congruences) with a byte-interval fallback.
#include "pto/wsp/core/region.hpp"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>

namespace pto::wsp {
namespace {

__extension__ using i128 = __int128;

// Returns g = gcd(a, b) and x with a*x ≡ g (mod b).
i128 ext_gcd(i128 a, i128 b, i128& x, i128& y) {
  if (b == 0) {
    x = 1;
    y = 0;
    return a;
  }
  i128 x1 = 0, y1 = 0;
  const i128 g = ext_gcd(b, a % b, x1, y1);
  x = y1;
  y = x1 - (a / b) * y1;
  return g;
}

i128 floor_div(i128 a, i128 b) {
  i128 q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

bool progressions_intersect(std::int64_t a, std::int64_t s, std::int64_t n, std::int64_t b,
                            std::int64_t t, std::int64_t m) noexcept {
  if (n <= 0 || m <= 0) return false;
  if (n == 1) s = 1;  // a single point: its step does not matter
  if (m == 1) t = 1;
  const i128 a_last = static_cast<i128>(a) + static_cast<i128>(s) * (n - 1);
  const i128 b_last = static_cast<i128>(b) + static_cast<i128>(t) * (m - 1);
  const i128 lower = std::max<i128>(a, b);
  const i128 upper = std::min(a_last, b_last);
  if (lower > upper) return false;
  if (n == 1 && m == 1) return a == b;
  if (n == 1) return (static_cast<i128>(a) - b) % t == 0;
  if (m == 1) return (static_cast<i128>(b) - a) % s == 0;
  // Solve x ≡ a (mod s), x ≡ b (mod t): x = a + s*k with s*k ≡ b - a (mod t).
  i128 inv = 0, unused = 0;
  const i128 g = ext_gcd(s, t, inv, unused);
  const i128 diff = static_cast<i128>(b) - a;
  if (diff % g != 0) return false;
  const i128 t_g = t / g;
  i128 k = ((diff / g) % t_g) * (inv % t_g) % t_g;
  if (k < 0) k += t_g;
  const i128 lcm = static_cast<i128>(s) * t_g;
  const i128 x0 = a + static_cast<i128>(s) * k;
  // Smallest solution >= lower.
  const i128 x = x0 + floor_div(lower - x0 + lcm - 1, lcm) * lcm;
  return x <= upper;
}

std::int64_t Region::elements() const noexcept {
  if (empty()) return 0;
  std::int64_t n = 1;
  for (int d = 0; d < rank; ++d) n *= count[d];
  return n;
}

bool Region::overlaps(const Region& other) const noexcept {
  if (empty() || other.empty()) return false;
  if (hi <= other.lo || other.hi <= lo) return false;
  if (root != other.root || !exact || !other.exact) return true;  // conservative
  for (int d = 0; d < rank; ++d) {
    // Dense ranges (step 1, or a single point) need only an interval test: the common case.
    const bool dense =
        (step[d] == 1 || count[d] == 1) && (other.step[d] == 1 || other.count[d] == 1);
    if (dense) {
      if (start[d] + count[d] <= other.start[d] || other.start[d] + other.count[d] <= start[d]) {
        return false;
      }
    } else if (!progressions_intersect(start[d], step[d], count[d], other.start[d], other.step[d],
                                       other.count[d])) {
      return false;
    }
  }
  return true;
}

bool Region::contains(const Region& other) const noexcept {
  if (other.empty()) return true;
  if (empty() || root != other.root || !exact || !other.exact) return false;
  for (int d = 0; d < rank; ++d) {
    const std::int64_t last = start[d] + (count[d] - 1) * step[d];
    const std::int64_t other_last = other.start[d] + (other.count[d] - 1) * other.step[d];
    if (other.start[d] < start[d] || other_last > last) return false;
    if (count[d] == 1) continue;  // then other is the same single point
    if ((other.start[d] - start[d]) % step[d] != 0) return false;
    if (other.count[d] > 1 && other.step[d] % step[d] != 0) return false;
  }
  return true;
}

std::string Region::to_string() const {
  if (empty()) return "[]";
  std::string out = "[";
  for (int d = 0; d < rank; ++d) {
    if (d) out += ", ";
    if (count[d] == 1) {
      out += fmt::format("{}", start[d]);
    } else if (step[d] == 1) {
      out += fmt::format("{}:{}", start[d], start[d] + count[d]);
    } else {
      out += fmt::format("{}:{}:{}", start[d], start[d] + step[d] * (count[d] - 1) + 1, step[d]);
    }
  }
  return out + "]";
}

}  // namespace pto::wsp
