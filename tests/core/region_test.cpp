// Unit tests for regions: exact overlap within one root, the conservative rule across roots,
// aliasing layouts, and the arithmetic-progression intersection it rests on.
#include "pto/wsp/core/region.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <vector>

#include "pto/wsp/core/tensor.hpp"

namespace pto::wsp {
namespace {

__extension__ using i128 = __int128;

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

// Both directions must agree: overlap is symmetric.
void expect_overlap(const Tensor& a, const Tensor& b, bool expected) {
  EXPECT_EQ(a.overlaps(b), expected) << a.region().to_string() << " vs " << b.region().to_string();
  EXPECT_EQ(b.overlaps(a), expected) << b.region().to_string() << " vs " << a.region().to_string();
}

TEST(Region, IdenticalViewsOverlap) {
  const Tensor t = Tensor::zeros(DType::f32, {4, 8});
  expect_overlap(t, t, true);
  expect_overlap(t[1], t[1], true);
  expect_overlap(t.slice(1, 2, 6, 2), t.slice(1, 2, 6, 2), true);
  expect_overlap(t[2][3], t.select(1, 3).select(0, 2), true);  // same element, two routes
  expect_overlap(t, t[3][7], true);
}

TEST(Region, PartialAndDisjointRanges) {
  const Tensor t = Tensor::zeros(DType::f32, {6, 8});
  expect_overlap(t.slice(0, 3), t.slice(2, 5), true);
  expect_overlap(t.slice(0, 2), t.slice(2, 4), false);  // adjacent, not overlapping
  expect_overlap(t[0], t[1], false);
  expect_overlap(t.slice(1, 0, 4, 1), t.slice(1, 4, 8, 1), false);  // left and right halves
  expect_overlap(t.slice(1, 0, 5, 1), t.slice(1, 4, 8, 1), true);
  // Boxes whose rows overlap but whose columns do not.
  expect_overlap(t.slice(0, 4).slice(1, 0, 3, 1), t.slice(2, 6).slice(1, 3, 8, 1), false);
  expect_overlap(t.slice(0, 4).slice(1, 0, 4, 1), t.slice(2, 6).slice(1, 3, 8, 1), true);
}

TEST(Region, StridedColumnsOverlapOnlyAtCommonCoordinates) {
  const Tensor t = Tensor::zeros(DType::f32, {4, 12});
  const Tensor even = t.slice(1, 0, 12, 2);
  const Tensor odd = t.slice(1, 1, 12, 2);
  expect_overlap(even, odd, false);
  expect_overlap(even, even, true);
  // Stride 2 and stride 3 from 0 meet at 0, 6.
  expect_overlap(t.slice(1, 0, 12, 2), t.slice(1, 0, 12, 3), true);
  // {2, 4} vs {3, 6}: interleaved, disjoint (the byte intervals do overlap).
  expect_overlap(t.slice(1, 2, 5, 2), t.slice(1, 3, 7, 3), false);
  // {2, 4, 6} vs {3, 6}: meet at 6, a multiple of 6 in range.
  expect_overlap(t.slice(1, 2, 7, 2), t.slice(1, 3, 7, 3), true);
  // {8, 10} vs {3, 6, 9}: no multiple of 6 is common to both ranges.
  expect_overlap(t.slice(1, 8, 12, 2), t.slice(1, 3, 12, 3), false);
  // {0, 6} vs {1, 4, 7, 10}: odd offsets never meet even starts with these steps.
  expect_overlap(t.slice(1, 0, 12, 6), t.slice(1, 1, 12, 3), false);
  // Same columns in disjoint row sets.
  expect_overlap(t.slice(0, 2).slice(1, 0, 12, 3), t.slice(2, 4).slice(1, 0, 12, 2), false);
  // Strided rows: even rows vs odd rows of the whole matrix.
  expect_overlap(t.slice(0, 0, 4, 2), t.slice(0, 1, 4, 2), false);
}

TEST(Region, RowsAndColumnsMeetAtOneElement) {
  const Tensor t = Tensor::zeros(DType::f64, {5, 6});
  expect_overlap(t[1], t.select(1, 2), true);
  expect_overlap(t[1].slice(0, 0, 2, 1), t.select(1, 2), false);  // row 1, columns 0-1
  expect_overlap(t[1].slice(0, 3, 6, 1), t.select(1, 2), false);  // row 1, columns 3-5
  expect_overlap(t[1].slice(0, 2, 3, 1), t.select(1, 2), true);
  expect_overlap(t.select(1, 2).slice(2, 5), t[1], false);  // column 2, rows 2-4
}

TEST(Region, TransposedViewComparesInRootCoordinates) {
  const Tensor t = Tensor::zeros(DType::f32, {4, 4});
  const Tensor tr = t.transpose(0, 1);
  expect_overlap(tr, t, true);
  EXPECT_EQ(tr.region().to_string(), t.region().to_string());
  expect_overlap(tr[0], t[0].slice(0, 1, 4, 1), false);  // column 0 vs row 0 without (0, 0)
  expect_overlap(tr[0], t[0], true);                     // they share (0, 0)
  expect_overlap(tr[2], t.select(1, 2), true);           // both are column 2
  expect_overlap(tr[2], t.select(1, 3), false);
  expect_overlap(tr.slice(1, 2, 4, 1), t.slice(0, 2), false);  // columns of rows 2-3 vs rows 0-1
}

TEST(Region, EmptyViewsNeverOverlap) {
  const Tensor t = Tensor::zeros(DType::f32, {4, 4});
  const Tensor e = t.slice(2, 2);
  EXPECT_TRUE(e.region().empty());
  EXPECT_EQ(e.region().elements(), 0);
  EXPECT_EQ(e.region().to_string(), "[]");
  expect_overlap(e, t, false);
  expect_overlap(e, e, false);
  expect_overlap(t.slice(1, 3, 3, 1), t, false);
  expect_overlap(Tensor(), t, false);
  expect_overlap(Tensor::zeros(DType::f32, {0}), Tensor::zeros(DType::f32, {0}), false);
  const Region none;
  EXPECT_TRUE(none.empty());
  EXPECT_FALSE(none.overlaps(t.region()));
  EXPECT_FALSE(t.region().overlaps(none));
}

TEST(Region, DifferentRootsOnTheSameMemoryCompareByteRanges) {
  std::vector<float> buf(16);
  const Tensor a = Tensor::borrow(buf.data(), {4, 4});
  const Tensor b = Tensor::borrow(buf.data(), {16});
  ASSERT_NE(a.root(), b.root());
  expect_overlap(a, b, true);
  expect_overlap(a[0], b.slice(0, 4), true);
  expect_overlap(a[1], b.slice(0, 4), false);  // bytes [16, 32) vs [0, 16)
  expect_overlap(a[1], b.slice(5, 6), true);
  expect_overlap(a[3][3], b.slice(15, 16), true);
  // Conservative: column 0 spans bytes [0, 52) although it only touches 0, 4, 8, 12; the
  // elements 1..3 of b are inside that span, so they are reported as overlapping.
  expect_overlap(a.select(1, 0), b.slice(1, 4), true);
  // Beyond the span: element 13 is after the last byte of column 0.
  expect_overlap(a.select(1, 0), b.slice(13, 16), false);
  // Two borrows of disjoint halves of one buffer.
  expect_overlap(Tensor::borrow(buf.data(), {8}), Tensor::borrow(buf.data() + 8, {8}), false);
  expect_overlap(Tensor::borrow(buf.data(), {9}), Tensor::borrow(buf.data() + 8, {8}), true);
  // A reshape is a new root over the same bytes.
  const Tensor r = a.reshape({2, 8});
  expect_overlap(r[1], a[3], true);
  expect_overlap(r[1], a[1], false);
  // A borrow with negative strides covers the bytes below its origin.
  const Tensor rev = Tensor::borrow(buf.data() + 7, {8}, {-1});
  expect_overlap(rev, b.slice(0, 1), true);
  expect_overlap(rev, b.slice(8, 16), false);
  // Distinct buffers never overlap.
  std::vector<float> other(16);
  expect_overlap(a, Tensor::borrow(other.data(), {16}), false);
}

TEST(Region, ZeroStrideRootAliasesAndIsReportedAsOverlapping) {
  std::vector<float> buf(4);
  // Four rows that are all the same four floats.
  const Tensor rows = Tensor::borrow(buf.data(), {4, 4}, {0, 1});
  EXPECT_FALSE(rows.region().exact);
  expect_overlap(rows[0], rows[1], true);
  expect_overlap(rows.slice(0, 2), rows.slice(2, 4), true);
  expect_overlap(rows[0].slice(0, 0, 2, 1), rows[3].slice(0, 1, 3, 1), true);
  // Aliased, but not the same bytes: columns 0-1 and 2-3 of any rows are distinct memory.
  expect_overlap(rows[0].slice(0, 0, 2, 1), rows[3].slice(0, 2, 4, 1), false);
  // A 1-D broadcast: every element is the same float.
  const Tensor bc = Tensor::borrow(buf.data(), {3}, {0});
  expect_overlap(bc.slice(0, 1), bc.slice(1, 2), true);
  expect_overlap(bc[0], bc[2], true);
  bc.at<float>({0}) = 5.0f;
  EXPECT_EQ(bc.at<float>({2}), 5.0f);
  // Overlapping strides (rows 2 apart, 4 wide) alias too.
  std::vector<float> buf2(10);
  const Tensor win = Tensor::borrow(buf2.data(), {4, 4}, {2, 1});
  EXPECT_FALSE(win.region().exact);
  expect_overlap(win[0], win[1], true);
  expect_overlap(win[0], win[2], false);
  // A layout that does not alias stays exact.
  EXPECT_TRUE(Tensor::borrow(buf2.data(), {2, 5}, {5, 1}).region().exact);
  EXPECT_TRUE(Tensor::borrow(buf2.data(), {1, 4}, {0, 1}).region().exact);  // extent 1
}

TEST(Region, ToStringAndElements) {
  const Tensor t = Tensor::zeros(DType::f32, {4, 8});
  EXPECT_EQ(t.region().to_string(), "[0:4, 0:8]");
  EXPECT_EQ(t.region().elements(), 32);
  EXPECT_EQ(t[1].region().to_string(), "[1, 0:8]");
  EXPECT_EQ(t[1].region().elements(), 8);
  const Region cols = t.slice(1, 2, 8, 2).region();  // columns 2, 4, 6
  EXPECT_EQ(cols.to_string(), "[0:4, 2:7:2]");
  EXPECT_EQ(cols.elements(), 12);
  EXPECT_EQ(cols.rank, 2);
  EXPECT_EQ(cols.start[1], 2);
  EXPECT_EQ(cols.count[1], 3);
  EXPECT_EQ(cols.step[1], 2);
  EXPECT_TRUE(cols.exact);
  EXPECT_EQ(cols.root, t.root());
  // Byte interval: from column 2 of row 0 to one past column 6 of row 3.
  const auto base = reinterpret_cast<std::uintptr_t>(t.bytes());
  EXPECT_EQ(cols.lo, base + 2 * 4);
  EXPECT_EQ(cols.hi, base + (3 * 8 + 6 + 1) * 4);
  EXPECT_EQ(t[2][5].region().to_string(), "[2, 5]");
  EXPECT_EQ(t[2][5].region().elements(), 1);
  // Regions are in root coordinates, however the view was derived.
  EXPECT_EQ(t.transpose(0, 1)[3].region().to_string(), "[0:4, 3]");
  EXPECT_EQ(t.slice(0, 1, 4, 2).slice(1, 1, 8, 3).slice(1, 1, 3, 1).region().to_string(),
            "[1:4:2, 4:8:3]");
}

// ---- progressions_intersect -----------------------------------------------------------------

bool brute_intersect(i128 a, i128 s, std::int64_t n, i128 b, i128 t, std::int64_t m) {
  std::set<i128> xs;
  for (std::int64_t i = 0; i < n; ++i) xs.insert(a + s * i);
  for (std::int64_t j = 0; j < m; ++j) {
    if (xs.count(b + t * j)) return true;
  }
  return false;
}

TEST(ProgressionsIntersect, HandPickedCases) {
  EXPECT_TRUE(progressions_intersect(0, 2, 6, 0, 3, 4));   // 0
  EXPECT_FALSE(progressions_intersect(2, 2, 2, 3, 3, 2));  // {2,4} {3,6}
  EXPECT_TRUE(progressions_intersect(2, 2, 3, 3, 3, 2));   // {2,4,6} {3,6}
  EXPECT_FALSE(progressions_intersect(0, 2, 100, 1, 2, 100));
  EXPECT_FALSE(progressions_intersect(0, 1, 0, 0, 1, 5));  // empty
  EXPECT_FALSE(progressions_intersect(0, 1, 5, 0, 1, 0));
  EXPECT_TRUE(progressions_intersect(5, 100, 1, 5, 7, 1));   // single points, steps ignored
  EXPECT_TRUE(progressions_intersect(-7, 4, 5, 5, 6, 3));    // {-7,-3,1,5,9} {5,11,17}
  EXPECT_TRUE(progressions_intersect(1, 6, 10, 25, 4, 10));  // 25 = 1 + 6*4
  EXPECT_FALSE(progressions_intersect(1, 6, 4, 25, 4, 10));  // 1..19 stops before 25
}

TEST(ProgressionsIntersect, AgreesWithBruteForceOnRandomSmallCases) {
  std::mt19937_64 rng(20240601);
  std::uniform_int_distribution<std::int64_t> start(-20, 20), step(1, 7), count(0, 10);
  int hits = 0;
  constexpr int kCases = 300000;
  for (int k = 0; k < kCases; ++k) {
    const std::int64_t a = start(rng), s = step(rng), n = count(rng);
    const std::int64_t b = start(rng), t = step(rng), m = count(rng);
    const bool expected = brute_intersect(a, s, n, b, t, m);
    hits += expected;
    ASSERT_EQ(progressions_intersect(a, s, n, b, t, m), expected)
        << "a=" << a << " s=" << s << " n=" << n << " b=" << b << " t=" << t << " m=" << m;
    ASSERT_EQ(progressions_intersect(b, t, m, a, s, n), expected) << "swapped";
  }
  // Both answers must be well represented, or the comparison says little.
  EXPECT_GT(hits, kCases / 10);
  EXPECT_LT(hits, kCases * 9 / 10);
}

TEST(ProgressionsIntersect, ExhaustiveOverATinyDomain) {
  for (std::int64_t a = -6; a <= 6; ++a)
    for (std::int64_t s = 1; s <= 5; ++s)
      for (std::int64_t n = 0; n <= 5; ++n)
        for (std::int64_t b = -6; b <= 6; b += 2)
          for (std::int64_t t = 1; t <= 5; ++t)
            for (std::int64_t m = 0; m <= 5; m += 1) {
              ASSERT_EQ(progressions_intersect(a, s, n, b, t, m), brute_intersect(a, s, n, b, t, m))
                  << a << " " << s << " " << n << " " << b << " " << t << " " << m;
            }
}

TEST(ProgressionsIntersect, HugeValuesDoNotOverflow) {
  // Near the top: {MAX-10 .. MAX-6} vs {MAX-7, MAX-4, MAX-1}.
  EXPECT_TRUE(progressions_intersect(kMax - 10, 1, 5, kMax - 7, 3, 3));
  EXPECT_FALSE(progressions_intersect(kMax - 10, 1, 3, kMax - 7, 3, 3));
  // Huge steps: {MIN, -1, MAX-1} vs {-1}, {0, MAX}, {MAX-1}.
  EXPECT_TRUE(progressions_intersect(kMin, kMax, 3, -1, 1, 1));
  EXPECT_FALSE(progressions_intersect(kMin, kMax, 3, 0, kMax, 2));
  EXPECT_TRUE(progressions_intersect(kMin, kMax, 3, kMax - 1, kMax, 1));
  EXPECT_TRUE(progressions_intersect(kMax, kMax, kMax, kMax, 1, kMax));
  EXPECT_TRUE(progressions_intersect(kMin, 1, kMax, kMin, 1, kMax));
  EXPECT_FALSE(progressions_intersect(kMin, 2, kMax, kMin + 1, 2, kMax));
  // Progressions whose last terms run past INT64_MAX (the terms are mathematical integers).
  EXPECT_TRUE(progressions_intersect(kMax - 1, kMax, 3, kMax - 1 + 0, 3, 2));
  EXPECT_FALSE(progressions_intersect(0, kMax, kMax, 1, kMax, kMax));
  EXPECT_TRUE(progressions_intersect(0, kMax - 1, kMax, 0, kMax, kMax));  // both contain 0
  // Coprime huge steps meet only at lcm-sized distances: 0 and (MAX-1)*MAX is far away.
  EXPECT_FALSE(progressions_intersect(1, kMax - 1, 1000, 2, kMax, 1000));
  EXPECT_TRUE(progressions_intersect(kMin, 1, 2, kMin, kMax, 1));
}

TEST(ProgressionsIntersect, AgreesWithBruteForceOnHugeRandomCases) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::int64_t> any(kMin, kMax), pos(1, kMax), count(0, 6);
  std::uniform_int_distribution<std::int64_t> small_step(1, 1 << 20);
  int hits = 0;
  for (int k = 0; k < 100000; ++k) {
    const std::int64_t n = count(rng), m = count(rng);
    std::int64_t s = (k % 3 == 0) ? small_step(rng) : pos(rng);
    const std::int64_t t = (k % 5 == 0 && s <= kMax / 3) ? s * 3 : pos(rng);
    std::int64_t a = any(rng), b = any(rng);
    if (k % 2 == 0 && n > 0 && m > 0) {
      // Make them share x = a + s*i = b + t*j when the numbers fit in int64.
      const std::int64_t i = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(n));
      const std::int64_t j = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(m));
      const i128 x = static_cast<i128>(any(rng)) / 2;
      const i128 aa = x - static_cast<i128>(s) * i;
      const i128 bb = x - static_cast<i128>(t) * j;
      if (aa >= kMin && aa <= kMax && bb >= kMin && bb <= kMax) {
        a = static_cast<std::int64_t>(aa);
        b = static_cast<std::int64_t>(bb);
      }
    }
    const bool expected = brute_intersect(a, s, n, b, t, m);
    hits += expected;
    ASSERT_EQ(progressions_intersect(a, s, n, b, t, m), expected)
        << "a=" << a << " s=" << s << " n=" << n << " b=" << b << " t=" << t << " m=" << m;
  }
  EXPECT_GT(hits, 1000);
}

}  // namespace
}  // namespace pto::wsp
