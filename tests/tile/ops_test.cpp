// Unit tests for every op of the tile language (pto/wsp/tile/ops.hpp) on concrete tiles, DynTile
// and the static Tile<R,C,D>: each op against a scalar reference computed here in double from the
// (already rounded) inputs and then rounded to the result dtype, and every shape/dtype error.
//
// Tolerances (f32 results; narrow f16/bf16 results are compared after rounding the reference to
// the narrow type, allowing one ulp of that type):
//   full, iota, cast, set, binary ops (add/sub/mul/div/max/min in every form), neg/abs, relu,
//   row/col max/min, broadcast, topk/sort: exact. Binary ops are exact because f32 (computation
//   precision) has >= 2p+2 bits for every tile float type, so computing in f32 and rounding to
//   f16/bf16 equals rounding the exact result; test scalars are exactly representable in bf16.
//   exp, log, sqrt, rsqrt, sigmoid, silu:  |got - ref| <= 1e-6 + 2e-6 * |ref|
//   tanh, gelu:                            |got - ref| <= 2e-6 + 1e-5 * |ref|
//   gelu on f16/bf16:                      1 narrow ulp, or the f32 tolerance + 1 narrow ulp (the
//                                          f32 result cancels in 1 + tanh(...) for x < 0)
//   sin, cos (inputs in [-10, 10]):        |got - ref| <= 2e-6
//   rowsum, colsum, rowmean (float):       |got - ref| <= 1e-5 * sum|x| (+ 2^-10 |ref| for f16,
//                                          2^-7 |ref| for bf16: the final rounding; mean: / n)
//   matmul:                                |got - ref| <= 1e-5 * K * max|a| * max|b| + 1e-6 |ref|
//   (partial-extent sums of 35 values in [-4, 4]: |got - ref| <= 2e-3 + narrow rounding)
//
// Regression tests for bugs these tests found: named broadcast forms on 1-row/1-column tiles
// (TileBinary.NamedFormsOnSingleColumnOrSingleRowTiles), Eigen's fast-math sqrt(+inf) = NaN in
// vector lanes (TileUnary.SqrtOfInfinityInVectorLanes), the named forms' error names
// (TileErrors.NamedRowAndColumnFormsNameThemselves).
#include "pto/wsp/tile/ops.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <iomanip>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include "pto/wsp/core/dtype.hpp"
#include "pto/wsp/core/error.hpp"
#include "pto/wsp/tile/tile.hpp"

namespace {

using pto::DType;
using pto::DynTile;
using pto::TileScalar;
using pto::TileType;
using pto::wsp::TypeCheckError;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::int64_t kI32Min = std::numeric_limits<std::int32_t>::min();
constexpr std::int64_t kI32Max = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t kU32Max = std::numeric_limits<std::uint32_t>::max();

constexpr DType kFloatDTypes[] = {DType::f32, DType::f16, DType::bf16};
constexpr DType kIntDTypes[] = {DType::i32, DType::u32};
constexpr DType kAllDTypes[] = {DType::f32, DType::f16, DType::bf16, DType::i32, DType::u32};

struct Shape {
  int rows;
  int cols;
};
constexpr Shape kShapes[] = {{1, 1}, {3, 5}, {17, 33}, {16, 128}};

bool is_int(DType d) {
  return d == DType::i32 || d == DType::u32;
}
std::string name(DType d) {
  return std::string(pto::wsp::name_of(d));
}

// --- reference rounding ------------------------------------------------------------------------

/// A double stored into dtype `d`: floats round to nearest even (narrow ones through f32, as the
/// tiles do), integers truncate toward zero and saturate, NaN -> 0.
double round_to(DType d, double v) {
  switch (d) {
    case DType::f32:
      return static_cast<float>(v);
    case DType::f16:
      return static_cast<float>(pto::wsp::f16_t(static_cast<float>(v)));
    case DType::bf16:
      return static_cast<float>(pto::wsp::bf16_t(static_cast<float>(v)));
    case DType::i32:
      if (std::isnan(v)) return 0.0;
      return std::clamp(std::trunc(v), static_cast<double>(kI32Min), static_cast<double>(kI32Max));
    case DType::u32:
      if (std::isnan(v)) return 0.0;
      return std::clamp(std::trunc(v), 0.0, static_cast<double>(kU32Max));
    default:
      ADD_FAILURE() << "round_to: not a tile dtype";
      return 0.0;
  }
}

/// The bits of a narrow value, mapped to a signed integer line (±0 -> 0) for ulp distances.
int narrow_ordinal(DType d, double v) {
  const auto f = static_cast<float>(v);
  const std::uint16_t b = d == DType::f16 ? pto::wsp::f16_t(f).bits : pto::wsp::bf16_t(f).bits;
  const int mag = b & 0x7fff;
  return (b & 0x8000) != 0 ? -mag : mag;
}

/// A 32-bit pattern as the value an element of int dtype `d` holds.
double int_value(DType d, std::uint32_t bits) {
  return d == DType::i32 ? static_cast<double>(static_cast<std::int32_t>(bits))
                         : static_cast<double>(bits);
}
std::uint32_t int_bits(double v) {
  return static_cast<std::uint32_t>(static_cast<std::int64_t>(v));
}

// --- comparisons -------------------------------------------------------------------------------

using Close = std::function<bool(double got, double want)>;

bool exact(double got, double want) {
  return (std::isnan(got) && std::isnan(want)) || got == want;
}

/// f32 results: both NaN, the same infinity, or within abs + rel * |want|.
Close tol(double abs_tol, double rel_tol) {
  return [=](double got, double want) {
    if (std::isnan(want) || std::isnan(got)) return std::isnan(want) && std::isnan(got);
    if (std::isinf(want) || std::isinf(got)) return got == want;
    return std::fabs(got - want) <= abs_tol + rel_tol * std::fabs(want);
  };
}

/// Narrow results: within `ulps` of the reference rounded to the narrow type.
Close narrow_ulps(DType d, int ulps) {
  return [=](double got, double want) {
    if (std::isnan(want) || std::isnan(got)) return std::isnan(want) && std::isnan(got);
    return std::abs(narrow_ordinal(d, got) - narrow_ordinal(d, want)) <= ulps;
  };
}

std::string fmt_double(double v) {
  std::ostringstream os;
  os << std::setprecision(17) << v;
  return os.str();
}

/// Checks the result's type and valid extent, then every valid element against want(r, c).
::testing::AssertionResult matches(const DynTile& got, TileType type, int valid_rows,
                                   int valid_cols, const std::function<double(int, int)>& want,
                                   const Close& close = exact) {
  if (!got.defined()) return ::testing::AssertionFailure() << "result is an empty tile";
  if (got.traced()) return ::testing::AssertionFailure() << "result is traced";
  if (got.type() != type)
    return ::testing::AssertionFailure()
           << "type " << got.type().to_string() << ", want " << type.to_string();
  if (got.valid_rows() != valid_rows || got.valid_cols() != valid_cols)
    return ::testing::AssertionFailure()
           << "valid extent " << got.valid_rows() << "x" << got.valid_cols() << ", want "
           << valid_rows << "x" << valid_cols;
  int bad = 0;
  std::string first;
  for (int r = 0; r < valid_rows; ++r)
    for (int c = 0; c < valid_cols; ++c) {
      const double g = got.at(r, c);
      const double w = want(r, c);
      if (!close(g, w) && bad++ < 4)
        first += " (" + std::to_string(r) + "," + std::to_string(c) + "): got " + fmt_double(g) +
                 " want " + fmt_double(w) + ";";
    }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << bad << " of " << valid_rows * valid_cols << " elements of " << type.to_string()
         << " differ:" << first;
}

/// A fully valid result of type `type`.
::testing::AssertionResult matches(const DynTile& got, TileType type,
                                   const std::function<double(int, int)>& want,
                                   const Close& close = exact) {
  return matches(got, type, type.rows, type.cols, want, close);
}

// --- inputs ------------------------------------------------------------------------------------

/// A tile of uniform values in [lo, hi] (rounded to the dtype on the way in).
DynTile random_tile(TileType type, std::mt19937& rng, double lo, double hi) {
  DynTile t(type);
  std::uniform_real_distribution<double> u(lo, hi);
  for (int r = 0; r < type.rows; ++r)
    for (int c = 0; c < type.cols; ++c) t.set(r, c, u(rng));
  return t;
}

/// An integer tile over the dtype's whole 32-bit range.
DynTile random_int_tile(TileType type, std::mt19937& rng) {
  DynTile t(type);
  std::uniform_int_distribution<std::int64_t> u(type.dtype == DType::i32 ? kI32Min : 0,
                                                type.dtype == DType::i32 ? kI32Max : kU32Max);
  for (int r = 0; r < type.rows; ++r)
    for (int c = 0; c < type.cols; ++c) t.set(r, c, static_cast<double>(u(rng)));
  return t;
}

/// Random data suitable for `type` (floats in [-4, 4]).
DynTile random_any(TileType type, std::mt19937& rng) {
  return is_int(type.dtype) ? random_int_tile(type, rng) : random_tile(type, rng, -4.0, 4.0);
}

/// A 1×n tile holding `values`.
DynTile row_tile(DType d, const std::vector<double>& values) {
  DynTile t(TileType{1, static_cast<int>(values.size()), d});
  for (std::size_t i = 0; i < values.size(); ++i) t.set(0, static_cast<int>(i), values[i]);
  return t;
}

/// An n×1 tile holding `values`.
DynTile col_tile(DType d, const std::vector<double>& values) {
  DynTile t(TileType{static_cast<int>(values.size()), 1, d});
  for (std::size_t i = 0; i < values.size(); ++i) t.set(static_cast<int>(i), 0, values[i]);
  return t;
}

/// A rows×cols tile holding `values` cyclically.
DynTile cyclic_tile(TileType type, const std::vector<double>& values) {
  DynTile t(type);
  std::size_t i = 0;
  for (int r = 0; r < type.rows; ++r)
    for (int c = 0; c < type.cols; ++c) t.set(r, c, values[i++ % values.size()]);
  return t;
}

// --- errors ------------------------------------------------------------------------------------

/// `f` throws exactly TypeCheckError whose message starts with `prefix` and contains each part.
template <typename F>
void expect_type_error(F&& f, const std::string& prefix, std::initializer_list<std::string> parts) {
  try {
    f();
  } catch (const std::exception& e) {
    if (typeid(e) != typeid(TypeCheckError)) {
      ADD_FAILURE() << "expected TypeCheckError, got " << typeid(e).name() << ": " << e.what();
      return;
    }
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind(prefix, 0), 0u)
        << "message \"" << msg << "\" does not start with \"" << prefix << "\"";
    for (const std::string& p : parts)
      EXPECT_NE(msg.find(p), std::string::npos)
          << "message \"" << msg << "\" lacks \"" << p << "\"";
    return;
  }
  ADD_FAILURE() << "expected TypeCheckError, nothing was thrown";
}

#define EXPECT_TYPE_ERROR(stmt, prefix, ...)                         \
  do {                                                               \
    SCOPED_TRACE(#stmt);                                             \
    expect_type_error([&] { (void)(stmt); }, prefix, {__VA_ARGS__}); \
  } while (0)

// =================================================================================================
// Construction, set/at, full, iota
// =================================================================================================

TEST(TileBasics, ConstructedTilesAreFullyValid) {
  for (DType d : kAllDTypes) {
    const DynTile t(TileType{3, 5, d});
    EXPECT_TRUE(t.defined());
    EXPECT_FALSE(t.traced());
    EXPECT_EQ(t.rows(), 3);
    EXPECT_EQ(t.cols(), 5);
    EXPECT_EQ(t.dtype(), d);
    EXPECT_EQ(t.valid_rows(), 3);
    EXPECT_EQ(t.valid_cols(), 5);
    EXPECT_EQ(t.type().to_string(), name(d) + "[3x5]");
  }
  const DynTile partial(TileType{4, 6, DType::f32}, 2, 3);
  EXPECT_EQ(partial.valid_rows(), 2);
  EXPECT_EQ(partial.valid_cols(), 3);
  EXPECT_FALSE(DynTile{}.defined());
}

TEST(TileBasics, SetRoundsToTheDType) {
  const std::vector<double> values = {
      0.0,    -0.0,   0.1,       -0.1,       1.5,        -1.5,         2.5,          -2.7, 2.7,
      65504., 65520., 1e6,       -1e6,       3e9,        -3e9,         5e9,          1e-8, kInf,
      -kInf,  kNaN,   16777217., 1.00390625, 1.01171875, 2147483647.5, -2147483648.9};
  for (DType d : kAllDTypes) {
    SCOPED_TRACE(name(d));
    const DynTile t = row_tile(d, values);
    EXPECT_TRUE(matches(t, TileType{1, static_cast<int>(values.size()), d}, [&](int, int c) {
      return round_to(d, values[static_cast<std::size_t>(c)]);
    }));
  }
  // Spot checks of the reference itself (and so of set/at).
  EXPECT_EQ(row_tile(DType::i32, {-2.7}).at(0, 0), -2.0);
  EXPECT_EQ(row_tile(DType::i32, {1e10}).at(0, 0), 2147483647.0);
  EXPECT_EQ(row_tile(DType::i32, {-1e10}).at(0, 0), -2147483648.0);
  EXPECT_EQ(row_tile(DType::i32, {kNaN}).at(0, 0), 0.0);
  EXPECT_EQ(row_tile(DType::u32, {-5.0}).at(0, 0), 0.0);
  EXPECT_EQ(row_tile(DType::u32, {5e9}).at(0, 0), 4294967295.0);
  EXPECT_EQ(row_tile(DType::f16, {65520.0}).at(0, 0), kInf);
  EXPECT_EQ(row_tile(DType::f16, {2049.0}).at(0, 0), 2048.0);
  EXPECT_EQ(row_tile(DType::bf16, {1.00390625}).at(0, 0), 1.0);  // tie -> even
  EXPECT_EQ(row_tile(DType::f32, {16777217.0}).at(0, 0), 16777216.0);
  EXPECT_TRUE(std::signbit(row_tile(DType::f16, {-0.0}).at(0, 0)));
}

TEST(TileBasics, FullFillsEveryElement) {
  for (DType d : kAllDTypes)
    for (const Shape s : kShapes)
      for (double v : {0.0, 0.1, -2.5, 1e10, -1e10, kNaN, kInf, 3.7}) {
        SCOPED_TRACE(name(d) + " v=" + fmt_double(v));
        const TileType type{s.rows, s.cols, d};
        EXPECT_TRUE(matches(pto::full(type, v), type, [&](int, int) { return round_to(d, v); }));
      }
}

TEST(TileBasics, IotaIsStartPlusColumn) {
  for (DType d : kAllDTypes)
    for (const Shape s : kShapes)
      for (double start : {0.0, 5.0, -3.0, 2047.0, 0.5}) {
        if (d == DType::u32 && start < 0) continue;
        if (is_int(d) && start != std::trunc(start)) continue;
        SCOPED_TRACE(name(d) + " start=" + fmt_double(start));
        const TileType type{s.rows, s.cols, d};
        EXPECT_TRUE(matches(pto::iota(type, start), type,
                            [&](int, int c) { return round_to(d, start + c); }));
      }
  // The default start is 0; f16 rounds 2049 to 2048.
  EXPECT_TRUE(matches(pto::iota(TileType{2, 4, DType::i32}), TileType{2, 4, DType::i32},
                      [](int, int c) { return c; }));
  const DynTile h = pto::iota(TileType{1, 4, DType::f16}, 2047.0);
  EXPECT_EQ(h.at(0, 2), 2048.0);
  EXPECT_EQ(h.at(0, 3), 2050.0);
}

// =================================================================================================
// cast
// =================================================================================================

double cast_ref(DType from, DType to, double v) {
  if (is_int(from) && is_int(to)) return int_value(to, int_bits(v));  // keeps the 32 bits
  if (is_int(from)) return round_to(to, static_cast<float>(v));       // via f32
  return round_to(to, v);
}

TEST(TileCast, EveryDTypePair) {
  const std::vector<double> float_values = {
      0.0,        -0.0,        0.1,          -0.1,        1.5,     -1.5,      2.5,
      -2.7,       65504.,      65520.,       1e6,         -1e6,    3e9,       -3e9,
      5e9,        1e-8,        kInf,         -kInf,       kNaN,    16777217., 1.00390625,
      1.01171875, 2147483647., -2147483648., 4294967295., 0.99999, -0.5,      1e30};
  const std::vector<double> i32_values = {0,
                                          1,
                                          -1,
                                          static_cast<double>(kI32Min),
                                          static_cast<double>(kI32Max),
                                          16777217,
                                          -16777217,
                                          65504,
                                          65520,
                                          123456789,
                                          -7};
  const std::vector<double> u32_values = {0,        1,     4294967295., 2147483648., 2147483647.,
                                          16777217, 65520, 4294967040., 123456789};
  std::mt19937 rng(7);
  for (DType from : kAllDTypes) {
    const std::vector<double>& values = from == DType::i32   ? i32_values
                                        : from == DType::u32 ? u32_values
                                                             : float_values;
    for (DType to : kAllDTypes) {
      SCOPED_TRACE(name(from) + " -> " + name(to));
      const DynTile a = row_tile(from, values);
      EXPECT_TRUE(matches(pto::cast(a, to), TileType{1, a.cols(), to},
                          [&](int r, int c) { return cast_ref(from, to, a.at(r, c)); }));
      const DynTile b = random_any(TileType{17, 33, from}, rng);
      EXPECT_TRUE(matches(pto::cast(b, to), TileType{17, 33, to},
                          [&](int r, int c) { return cast_ref(from, to, b.at(r, c)); }));
    }
  }
  // Spot checks of the contract.
  EXPECT_EQ(pto::cast(row_tile(DType::i32, {-1}), DType::u32).at(0, 0), 4294967295.0);
  EXPECT_EQ(pto::cast(row_tile(DType::u32, {4294967295.}), DType::i32).at(0, 0), -1.0);
  EXPECT_EQ(pto::cast(row_tile(DType::f32, {-2.9}), DType::i32).at(0, 0), -2.0);
  EXPECT_EQ(pto::cast(row_tile(DType::f32, {kNaN}), DType::u32).at(0, 0), 0.0);
  EXPECT_EQ(pto::cast(row_tile(DType::f32, {-kInf}), DType::i32).at(0, 0), -2147483648.0);
  EXPECT_EQ(pto::cast(row_tile(DType::f32, {-3.5}), DType::u32).at(0, 0), 0.0);
  EXPECT_EQ(pto::cast(row_tile(DType::i32, {16777217}), DType::f32).at(0, 0), 16777216.0);
  EXPECT_EQ(pto::cast(row_tile(DType::i32, {65520}), DType::f16).at(0, 0), kInf);
  EXPECT_EQ(pto::cast(row_tile(DType::f32, {0.1}), DType::bf16).at(0, 0),
            static_cast<float>(pto::wsp::bf16_t(0.1f)));
}

// =================================================================================================
// Binary ops
// =================================================================================================

double max_ref(double x, double y) {
  return std::isnan(x) || std::isnan(y) ? kNaN : std::max(x, y);
}
double min_ref(double x, double y) {
  return std::isnan(x) || std::isnan(y) ? kNaN : std::min(x, y);
}

struct BinaryCase {
  const char* name;
  DynTile (*tt)(const DynTile&, const DynTile&);
  DynTile (*ts)(const DynTile&, TileScalar);
  DynTile (*st)(TileScalar, const DynTile&);
  double (*ref)(double, double);
  bool int_ok;
};

const BinaryCase kBinary[] = {
    {"add", [](const DynTile& a, const DynTile& b) { return pto::add(a, b); },
     [](const DynTile& a, TileScalar s) { return pto::add(a, s); },
     [](TileScalar s, const DynTile& a) { return pto::add(s, a); },
     [](double x, double y) { return x + y; }, true},
    {"sub", [](const DynTile& a, const DynTile& b) { return pto::sub(a, b); },
     [](const DynTile& a, TileScalar s) { return pto::sub(a, s); },
     [](TileScalar s, const DynTile& a) { return pto::sub(s, a); },
     [](double x, double y) { return x - y; }, true},
    {"mul", [](const DynTile& a, const DynTile& b) { return pto::mul(a, b); },
     [](const DynTile& a, TileScalar s) { return pto::mul(a, s); },
     [](TileScalar s, const DynTile& a) { return pto::mul(s, a); },
     [](double x, double y) { return x * y; }, true},
    {"div", [](const DynTile& a, const DynTile& b) { return pto::div(a, b); },
     [](const DynTile& a, TileScalar s) { return pto::div(a, s); },
     [](TileScalar s, const DynTile& a) { return pto::div(s, a); },
     [](double x, double y) { return x / y; }, false},
    {"max", [](const DynTile& a, const DynTile& b) { return pto::max(a, b); },
     [](const DynTile& a, TileScalar s) { return pto::max(a, s); },
     [](TileScalar s, const DynTile& a) { return pto::max(s, a); }, max_ref, true},
    {"min", [](const DynTile& a, const DynTile& b) { return pto::min(a, b); },
     [](const DynTile& a, TileScalar s) { return pto::min(a, s); },
     [](TileScalar s, const DynTile& a) { return pto::min(s, a); }, min_ref, true},
};

/// The reference of a binary op on integer tiles: add/sub/mul wrap modulo 2^32.
double int_binary_ref(DType d, const std::string& op, double x, double y) {
  const std::uint32_t ux = int_bits(x), uy = int_bits(y);
  if (op == "add") return int_value(d, ux + uy);
  if (op == "sub") return int_value(d, ux - uy);
  if (op == "mul") return int_value(d, ux * uy);
  if (op == "max") return std::max(x, y);
  if (op == "min") return std::min(x, y);
  ADD_FAILURE() << "no integer reference for " << op;
  return 0;
}

/// Reference of `op` on dtype d for already-stored operand values.
double binary_ref(const BinaryCase& op, DType d, double x, double y) {
  return is_int(d) ? int_binary_ref(d, op.name, x, y) : round_to(d, op.ref(x, y));
}

TEST(TileBinary, FullForm) {
  std::mt19937 rng(11);
  for (const BinaryCase& op : kBinary)
    for (DType d : kAllDTypes) {
      if (is_int(d) && !op.int_ok) continue;
      for (const Shape s : kShapes) {
        SCOPED_TRACE(std::string(op.name) + " " + name(d) + "[" + std::to_string(s.rows) + "x" +
                     std::to_string(s.cols) + "]");
        const TileType type{s.rows, s.cols, d};
        const DynTile a = random_any(type, rng);
        const DynTile b = random_any(type, rng);
        EXPECT_TRUE(matches(op.tt(a, b), type, [&](int r, int c) {
          return binary_ref(op, d, a.at(r, c), b.at(r, c));
        }));
      }
    }
}

TEST(TileBinary, PerRowAndPerColumnForms) {
  std::mt19937 rng(12);
  for (const BinaryCase& op : kBinary)
    for (DType d : kAllDTypes) {
      if (is_int(d) && !op.int_ok) continue;
      for (const Shape s : kShapes) {
        SCOPED_TRACE(std::string(op.name) + " " + name(d) + "[" + std::to_string(s.rows) + "x" +
                     std::to_string(s.cols) + "]");
        const TileType type{s.rows, s.cols, d};
        const DynTile a = random_any(type, rng);
        const DynTile per_row = random_any(TileType{s.rows, 1, d}, rng);
        const DynTile per_col = random_any(TileType{1, s.cols, d}, rng);
        EXPECT_TRUE(matches(op.tt(a, per_row), type, [&](int r, int c) {
          return binary_ref(op, d, a.at(r, c), per_row.at(r, 0));
        }));
        EXPECT_TRUE(matches(op.tt(a, per_col), type, [&](int r, int c) {
          return binary_ref(op, d, a.at(r, c), per_col.at(0, c));
        }));
      }
    }
}

TEST(TileBinary, ScalarForms) {
  std::mt19937 rng(13);
  // Float scalars are exactly representable in every float tile dtype.
  for (const BinaryCase& op : kBinary)
    for (DType d : kAllDTypes) {
      if (is_int(d) && !op.int_ok) continue;
      for (const Shape s : kShapes)
        for (double v : {0.5, -3.0, 1.0, 2.25}) {
          SCOPED_TRACE(std::string(op.name) + " " + name(d) + " scalar " + fmt_double(v));
          const TileType type{s.rows, s.cols, d};
          const DynTile a = random_any(type, rng);
          const double sv = is_int(d) ? int_value(d, int_bits(std::trunc(v))) : v;
          EXPECT_TRUE(matches(op.ts(a, v), type,
                              [&](int r, int c) { return binary_ref(op, d, a.at(r, c), sv); }));
          EXPECT_TRUE(matches(op.st(v, a), type,
                              [&](int r, int c) { return binary_ref(op, d, sv, a.at(r, c)); }));
        }
    }
  // The examples of the contract.
  const DynTile x = row_tile(DType::f32, {2.0, 4.0, -0.5});
  EXPECT_TRUE(matches(pto::sub(1.0, x), x.type(), [&](int, int c) { return 1.0 - x.at(0, c); }));
  EXPECT_TRUE(matches(pto::div(1.0, x), x.type(), [&](int, int c) { return 1.0 / x.at(0, c); }));
  // An int TileScalar works as well.
  EXPECT_TRUE(matches(pto::add(x, 2), x.type(), [&](int, int c) { return x.at(0, c) + 2.0; }));
}

TEST(TileBinary, NamedRowAndColumnForms) {
  std::mt19937 rng(14);
  using Named = DynTile (*)(const DynTile&, const DynTile&);
  struct NamedCase {
    const char* name;
    Named fn;
    bool per_row;
    double (*ref)(double, double);
  };
  const NamedCase cases[] = {
      {"rowadd", [](const DynTile& a, const DynTile& b) { return pto::rowadd(a, b); }, true,
       [](double x, double y) { return x + y; }},
      {"rowsub", [](const DynTile& a, const DynTile& b) { return pto::rowsub(a, b); }, true,
       [](double x, double y) { return x - y; }},
      {"rowmul", [](const DynTile& a, const DynTile& b) { return pto::rowmul(a, b); }, true,
       [](double x, double y) { return x * y; }},
      {"rowdiv", [](const DynTile& a, const DynTile& b) { return pto::rowdiv(a, b); }, true,
       [](double x, double y) { return x / y; }},
      {"coladd", [](const DynTile& a, const DynTile& b) { return pto::coladd(a, b); }, false,
       [](double x, double y) { return x + y; }},
      {"colmul", [](const DynTile& a, const DynTile& b) { return pto::colmul(a, b); }, false,
       [](double x, double y) { return x * y; }},
  };
  // Shapes with more than one row and column (1-row / 1-column tiles: see the next test).
  const Shape shapes[] = {{3, 5}, {17, 33}, {16, 128}, {2, 2}};
  for (const NamedCase& op : cases)
    for (DType d : kAllDTypes) {
      const std::string n = op.name;
      if (is_int(d) && n == "rowdiv") continue;
      for (const Shape s : shapes) {
        SCOPED_TRACE(n + " " + name(d) + "[" + std::to_string(s.rows) + "x" +
                     std::to_string(s.cols) + "]");
        const TileType type{s.rows, s.cols, d};
        const DynTile a = random_any(type, rng);
        const DynTile b =
            random_any(op.per_row ? TileType{s.rows, 1, d} : TileType{1, s.cols, d}, rng);
        EXPECT_TRUE(matches(op.fn(a, b), type, [&](int r, int c) {
          const double x = a.at(r, c), y = op.per_row ? b.at(r, 0) : b.at(0, c);
          if (!is_int(d)) return round_to(d, op.ref(x, y));
          return int_binary_ref(d, n.substr(3), x, y);
        }));
      }
    }
}

// rowX(a, b) with a of shape R×1 (b R×1) and colX(a, b) with a of shape 1×C (b 1×C) are valid per
// the contract ("b must be R×1" / "b must be 1×C"), and the static overloads accept them.
// (Regression: the named forms once classified the shapes as Full and rejected them.)
TEST(TileBinary, NamedFormsOnSingleColumnOrSingleRowTiles) {
  const DynTile col = row_tile(DType::f32, {2.0});  // 1×1
  const DynTile a31 = col_tile(DType::f32, {1.0, 2.0, 3.0});
  const DynTile b31 = pto::full(TileType{3, 1, DType::f32}, 10.0);
  const DynTile a15 = pto::iota(TileType{1, 5, DType::f32}, 1.0);
  const DynTile b15 = pto::full(TileType{1, 5, DType::f32}, 10.0);
  auto run = [](const char* what, auto&& f) {
    SCOPED_TRACE(what);
    try {
      f();
    } catch (const std::exception& e) {
      ADD_FAILURE() << what << " threw: " << e.what();
    }
  };
  run("rowadd(f32[3x1], f32[3x1])", [&] {
    EXPECT_TRUE(matches(pto::rowadd(a31, b31), a31.type(), [](int r, int) { return 11.0 + r; }));
  });
  run("rowmul(f32[1x1], f32[1x1])", [&] {
    EXPECT_TRUE(matches(pto::rowmul(col, col), col.type(), [](int, int) { return 4.0; }));
  });
  run("coladd(f32[1x5], f32[1x5])", [&] {
    EXPECT_TRUE(matches(pto::coladd(a15, b15), a15.type(), [](int, int c) { return 11.0 + c; }));
  });
  run("colmul(f32[1x1], f32[1x1])", [&] {
    EXPECT_TRUE(matches(pto::colmul(col, col), col.type(), [](int, int) { return 4.0; }));
  });
  run("static colmul(Tile<1,5>, Tile<1,5>)", [&] {
    const pto::Tile<1, 5, DType::f32> x(a15), y(b15);
    EXPECT_EQ(pto::colmul(x, y).at(0, 4), 50.0);
  });
  // These already work: the other dimension differs.
  EXPECT_TRUE(matches(pto::rowadd(a15, col), a15.type(), [](int, int c) { return 3.0 + c; }));
  EXPECT_TRUE(matches(pto::coladd(a31, col), a31.type(), [](int r, int) { return 3.0 + r; }));
}

TEST(TileBinary, Operators) {
  std::mt19937 rng(15);
  for (DType d : kFloatDTypes) {
    SCOPED_TRACE(name(d));
    const TileType type{17, 33, d};
    const DynTile a = random_any(type, rng);
    const DynTile b = random_any(type, rng);
    const DynTile rb = random_any(TileType{17, 1, d}, rng);
    auto at = [](const DynTile& t, int r, int c) { return t.at(r, c); };
    EXPECT_TRUE(
        matches(a + b, type, [&](int r, int c) { return round_to(d, at(a, r, c) + at(b, r, c)); }));
    EXPECT_TRUE(
        matches(a - b, type, [&](int r, int c) { return round_to(d, at(a, r, c) - at(b, r, c)); }));
    EXPECT_TRUE(
        matches(a * b, type, [&](int r, int c) { return round_to(d, at(a, r, c) * at(b, r, c)); }));
    EXPECT_TRUE(
        matches(a / b, type, [&](int r, int c) { return round_to(d, at(a, r, c) / at(b, r, c)); }));
    EXPECT_TRUE(matches(a / rb, type,
                        [&](int r, int c) { return round_to(d, at(a, r, c) / at(rb, r, 0)); }));
  }
  const TileType it{3, 5, DType::i32};
  const DynTile x = random_int_tile(it, rng), y = random_int_tile(it, rng);
  EXPECT_TRUE(matches(x * y - x, it, [&](int r, int c) {
    const std::uint32_t ux = int_bits(x.at(r, c)), uy = int_bits(y.at(r, c));
    return int_value(DType::i32, ux * uy - ux);
  }));
}

TEST(TileBinary, FloatSpecialValues) {
  // max/min propagate NaN from either side; division by zero; infinities.
  const std::vector<double> xs = {kNaN, 1.0, kNaN, kInf, -kInf, 0.0,  -0.0, 1.0,
                                  -1.0, 0.0, kInf, 3.0,  -2.0,  kNaN, 5.0,  -kInf,
                                  kInf, 7.0, kNaN, 0.5,  2.0,   -kInf};
  const std::vector<double> ys = {1.0,  kNaN, kNaN, 1.0,   1.0,  0.0,  0.0,  0.0, 0.0,  kInf, kInf,
                                  kNaN, kNaN, 2.0,  -kInf, kInf, kNaN, -1.0, 3.0, -0.5, kInf, 4.0};
  for (DType d : kFloatDTypes)
    for (const BinaryCase& op : kBinary) {
      SCOPED_TRACE(std::string(op.name) + " " + name(d));
      const DynTile a = row_tile(d, xs), b = row_tile(d, ys);
      const DynTile rb = row_tile(d, {kNaN});
      EXPECT_TRUE(matches(op.tt(a, b), a.type(),
                          [&](int, int c) { return binary_ref(op, d, a.at(0, c), b.at(0, c)); }));
      // Per-row NaN, scalar NaN on both sides.
      EXPECT_TRUE(matches(op.tt(a, rb), a.type(),
                          [&](int, int c) { return binary_ref(op, d, a.at(0, c), kNaN); }));
      EXPECT_TRUE(matches(op.ts(a, kNaN), a.type(),
                          [&](int, int c) { return binary_ref(op, d, a.at(0, c), kNaN); }));
      EXPECT_TRUE(matches(op.st(kNaN, a), a.type(),
                          [&](int, int c) { return binary_ref(op, d, kNaN, a.at(0, c)); }));
      // A longer tile puts NaNs in vector lanes as well as in the scalar tail.
      const TileType wide{3, 2 * static_cast<int>(xs.size()) + 7, d};
      const DynTile wa = cyclic_tile(wide, xs), wb = cyclic_tile(wide, ys);
      EXPECT_TRUE(matches(op.tt(wa, wb), wide, [&](int r, int c) {
        return binary_ref(op, d, wa.at(r, c), wb.at(r, c));
      }));
    }
  EXPECT_TRUE(std::isnan(pto::max(row_tile(DType::f32, {kNaN}), 1.0).at(0, 0)));
  EXPECT_TRUE(std::isnan(pto::min(1.0, row_tile(DType::f32, {kNaN})).at(0, 0)));
  EXPECT_EQ(pto::div(row_tile(DType::f32, {-1.0}), 0.0).at(0, 0), -kInf);
}

TEST(TileBinary, IntegerScalarsConvertThroughInt64) {
  const DynTile i = row_tile(DType::i32, {0, 10, -10, static_cast<double>(kI32Max)});
  // 2.9 -> 2, -1.5 -> -1 (truncation toward zero); INT_MAX + 2 wraps.
  EXPECT_TRUE(matches(pto::add(i, 2.9), i.type(), [&](int, int c) {
    return int_value(DType::i32, int_bits(i.at(0, c)) + 2u);
  }));
  EXPECT_TRUE(matches(pto::mul(i, -1.5), i.type(), [&](int, int c) {
    return int_value(DType::i32, 0u - int_bits(i.at(0, c)));
  }));
  EXPECT_TRUE(matches(pto::sub(7.99, i), i.type(), [&](int, int c) {
    return int_value(DType::i32, 7u - int_bits(i.at(0, c)));
  }));
  EXPECT_TRUE(
      matches(pto::max(i, -3.7), i.type(), [&](int, int c) { return std::max(i.at(0, c), -3.0); }));
  // u32: a negative scalar wraps like an int64 -> uint32 conversion (x + 0xffffffff == x - 1).
  const DynTile u = row_tile(DType::u32, {0, 1, 4294967295., 100});
  EXPECT_TRUE(matches(pto::add(u, -1.0), u.type(), [&](int, int c) {
    return int_value(DType::u32, int_bits(u.at(0, c)) - 1u);
  }));
  EXPECT_TRUE(matches(pto::min(u, 4294967295.0), u.type(), [&](int, int c) { return u.at(0, c); }));
  EXPECT_TRUE(
      matches(pto::max(u, 50), u.type(), [&](int, int c) { return std::max(u.at(0, c), 50.0); }));
  // The edge values of wrapping.
  const DynTile m = row_tile(DType::i32, {static_cast<double>(kI32Min)});
  EXPECT_EQ(pto::sub(m, 1).at(0, 0), static_cast<double>(kI32Max));
  EXPECT_EQ(pto::mul(m, -1).at(0, 0), static_cast<double>(kI32Min));
  EXPECT_EQ(pto::mul(row_tile(DType::u32, {65536.0}), 65536.0).at(0, 0), 0.0);
}

// =================================================================================================
// Unary ops
// =================================================================================================

struct UnaryCase {
  const char* name;
  DynTile (*fn)(const DynTile&);
  double (*ref)(double);
  double lo, hi;            // random inputs
  double abs_tol, rel_tol;  // f32 results
  std::vector<double> edges;
};

double sigmoid_ref(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}
double gelu_ref(double x) {
  return 0.5 * x * (1.0 + std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
}

const std::vector<UnaryCase>& unary_cases() {
  // Edge values: ±inf, NaN, ±0, large magnitudes. gelu(-inf) and silu(-inf) are left out: the
  // formulas as written give -inf * 0 = NaN there.
  static const std::vector<UnaryCase> cases = {
      {"exp",
       [](const DynTile& a) { return pto::exp(a); },
       [](double x) { return std::exp(x); },
       -10,
       10,
       1e-6,
       2e-6,
       {0.0, -0.0, kInf, -kInf, kNaN, 100.0, -100.0, 1.0, -1.0, 80.0}},
      {"log",
       [](const DynTile& a) { return pto::log(a); },
       [](double x) { return std::log(x); },
       1e-3,
       100,
       1e-6,
       2e-6,
       {0.0, -0.0, -1.0, kInf, -kInf, kNaN, 1.0, 1e-30, 1e30, 2.0}},
      {"sqrt",
       [](const DynTile& a) { return pto::sqrt(a); },
       [](double x) { return std::sqrt(x); },
       0,
       100,
       1e-6,
       2e-6,
       {0.0, -0.0, -1.0, kInf, -kInf, kNaN, 1.0, 4.0, 1e-30, 1e30}},
      {"rsqrt",
       [](const DynTile& a) { return pto::rsqrt(a); },
       [](double x) { return 1.0 / std::sqrt(x); },
       1e-2,
       100,
       1e-6,
       2e-6,
       {0.0, -1.0, kInf, -kInf, kNaN, 1.0, 4.0, 0.25, 1e-30, 1e30}},
      {"tanh",
       [](const DynTile& a) { return pto::tanh(a); },
       [](double x) { return std::tanh(x); },
       -10,
       10,
       2e-6,
       1e-5,
       {0.0, -0.0, kInf, -kInf, kNaN, 20.0, -20.0, 1e-5, -1e-5, 0.5, 8.0, -8.0}},
      {"sigmoid",
       [](const DynTile& a) { return pto::sigmoid(a); },
       sigmoid_ref,
       -20,
       20,
       1e-6,
       2e-6,
       {0.0, -0.0, kInf, -kInf, kNaN, 100.0, -100.0, 9.0, -9.0, 15.0, 16.0, -16.0}},
      {"relu",
       [](const DynTile& a) { return pto::relu(a); },
       [](double x) { return std::isnan(x) ? x : (x > 0 ? x : 0.0); },
       -5,
       5,
       1e-6,
       2e-6,
       {0.0, -0.0, kInf, -kInf, kNaN, 1e30, -1e30, 1e-30, -1e-30}},
      {"gelu",
       [](const DynTile& a) { return pto::gelu(a); },
       gelu_ref,
       -6,
       6,
       2e-6,
       1e-5,
       {0.0, -0.0, kInf, kNaN, 20.0, -20.0, 100.0, -100.0, 1.0, -1.0, 3.0, -3.0}},
      {"silu",
       [](const DynTile& a) { return pto::silu(a); },
       [](double x) { return x * sigmoid_ref(x); },
       -20,
       20,
       1e-6,
       2e-6,
       {0.0, -0.0, kInf, kNaN, 100.0, -100.0, 1.0, -1.0}},
      {"neg",
       [](const DynTile& a) { return pto::neg(a); },
       [](double x) { return -x; },
       -100,
       100,
       1e-6,
       2e-6,
       {0.0, -0.0, kInf, -kInf, kNaN, 1e30, -1e-30}},
      {"abs",
       [](const DynTile& a) { return pto::abs(a); },
       [](double x) { return std::fabs(x); },
       -100,
       100,
       1e-6,
       2e-6,
       {0.0, -0.0, kInf, -kInf, kNaN, -1e30, -1e-30}},
      {"sin",
       [](const DynTile& a) { return pto::sin(a); },
       [](double x) { return std::sin(x); },
       -10,
       10,
       2e-6,
       0,
       {0.0, -0.0, kInf, -kInf, kNaN, 3.14159265, -1.5707963, 10.0, -10.0}},
      {"cos",
       [](const DynTile& a) { return pto::cos(a); },
       [](double x) { return std::cos(x); },
       -10,
       10,
       2e-6,
       0,
       {0.0, -0.0, kInf, -kInf, kNaN, 3.14159265, -1.5707963, 10.0, -10.0}},
  };
  return cases;
}

/// The spacing of narrow values at |v| (one ulp of dtype d).
double narrow_ulp(DType d, double v) {
  const int o = std::abs(narrow_ordinal(d, v));
  const auto next = static_cast<std::uint16_t>(o + 1);
  const double here =
      d == DType::f16
          ? static_cast<float>(pto::wsp::f16_t::from_bits(static_cast<std::uint16_t>(o)))
          : static_cast<float>(pto::wsp::bf16_t::from_bits(static_cast<std::uint16_t>(o)));
  const double up = d == DType::f16 ? static_cast<float>(pto::wsp::f16_t::from_bits(next))
                                    : static_cast<float>(pto::wsp::bf16_t::from_bits(next));
  return up - here;
}

class TileUnaryOp : public ::testing::TestWithParam<std::size_t> {};

TEST_P(TileUnaryOp, MatchesReference) {
  const UnaryCase& op = unary_cases()[GetParam()];
  std::mt19937 rng(21 + static_cast<unsigned>(GetParam()));
  for (DType d : kFloatDTypes) {
    Close close = d == DType::f32 ? tol(op.abs_tol, op.rel_tol) : narrow_ulps(d, 1);
    if (d != DType::f32 && std::string(op.name) == "gelu") {
      // gelu for x < 0 cancels in 1 + tanh(...): the f32 result carries an absolute error of
      // ~1e-7, many narrow ulps when the result is tiny. Allowed: 1 narrow ulp, or the f32
      // tolerance plus one narrow ulp.
      close = [d, one_ulp = narrow_ulps(d, 1), abs_tol = op.abs_tol, rel_tol = op.rel_tol](
                  double got, double want) {
        if (one_ulp(got, want)) return true;
        if (std::isnan(got) || std::isnan(want) || std::isinf(got) || std::isinf(want))
          return false;
        return std::fabs(got - want) <= abs_tol + rel_tol * std::fabs(want) + narrow_ulp(d, want);
      };
    }
    auto ref = [&](const DynTile& a) {
      return [&](int r, int c) { return round_to(d, op.ref(a.at(r, c))); };
    };
    for (const Shape s : kShapes) {
      SCOPED_TRACE(name(d) + "[" + std::to_string(s.rows) + "x" + std::to_string(s.cols) + "]");
      const TileType type{s.rows, s.cols, d};
      const DynTile a = random_tile(type, rng, op.lo, op.hi);
      EXPECT_TRUE(matches(op.fn(a), type, ref(a), close));
    }
    SCOPED_TRACE(name(d) + " edge values");
    const DynTile e = row_tile(d, op.edges);
    EXPECT_TRUE(matches(op.fn(e), e.type(), ref(e), close));
    // Edge values in vector lanes as well as in the scalar tail.
    const DynTile w = cyclic_tile(TileType{3, 2 * e.cols() + 21, d}, op.edges);
    EXPECT_TRUE(matches(op.fn(w), w.type(), ref(w), close));
  }
}

INSTANTIATE_TEST_SUITE_P(AllOps, TileUnaryOp, ::testing::Range<std::size_t>(0, 13),
                         [](const ::testing::TestParamInfo<std::size_t>& param) {
                           return std::string(unary_cases()[param.param].name);
                         });

TEST(TileUnary, AllOpsAreCovered) {
  EXPECT_EQ(unary_cases().size(), 13u);
}

// sqrt(+inf) = +inf wherever the element sits in the row (vector lanes included).
// (Regression: Eigen 3.4's fast-math AVX-512 psqrt, x * rsqrt14(x) + a Newton step, gave
// inf * 0 = NaN in vector lanes; compute.cpp is now built with EIGEN_FAST_MATH=0.)
TEST(TileUnary, SqrtOfInfinityInVectorLanes) {
  for (DType d : kFloatDTypes) {
    SCOPED_TRACE(name(d));
    const DynTile a = pto::full(TileType{2, 64, d}, kInf);
    EXPECT_TRUE(matches(pto::sqrt(a), a.type(), [](int, int) { return kInf; }));
  }
}

TEST(TileUnary, ContractExamples) {
  const DynTile x = row_tile(DType::f32, {100.0, -100.0, 0.0, -1.0, -0.0});
  const DynTile ex = pto::exp(x);
  EXPECT_EQ(ex.at(0, 0), kInf);
  EXPECT_GE(ex.at(0, 1), 0.0);  // e^-100 ~ 3.7e-44: 0 or an f32 subnormal
  EXPECT_LT(ex.at(0, 1), 1e-40);
  const DynTile lg = pto::log(x);
  EXPECT_EQ(lg.at(0, 2), -kInf);
  EXPECT_TRUE(std::isnan(lg.at(0, 3)));
  EXPECT_TRUE(std::isnan(pto::sqrt(x).at(0, 3)));
  const DynTile sg = pto::sigmoid(x);
  EXPECT_EQ(sg.at(0, 0), 1.0);
  EXPECT_NEAR(sg.at(0, 1), 0.0, 1e-30);
  EXPECT_EQ(sg.at(0, 2), 0.5);
  const DynTile th = pto::tanh(row_tile(DType::f32, {20.0, -20.0}));
  EXPECT_EQ(th.at(0, 0), 1.0);
  EXPECT_EQ(th.at(0, 1), -1.0);
  EXPECT_TRUE(std::isnan(pto::relu(row_tile(DType::f32, {kNaN})).at(0, 0)));
  EXPECT_FALSE(std::signbit(pto::abs(row_tile(DType::f32, {-0.0})).at(0, 0)));
  EXPECT_TRUE(std::signbit(pto::neg(row_tile(DType::f32, {0.0})).at(0, 0)));
  // gelu is the tanh form, not the erf form: gelu(1) = 0.8411920 (erf form: 0.8413447).
  EXPECT_NEAR(pto::gelu(row_tile(DType::f32, {1.0})).at(0, 0), gelu_ref(1.0), 1e-6);
  EXPECT_GT(std::fabs(pto::gelu(row_tile(DType::f32, {1.0})).at(0, 0) - 0.8413447460685429), 1e-4);
}

TEST(TileUnary, NegAndAbsOnI32) {
  std::mt19937 rng(22);
  for (const Shape s : kShapes) {
    const TileType type{s.rows, s.cols, DType::i32};
    const DynTile a = random_int_tile(type, rng);
    EXPECT_TRUE(matches(pto::neg(a), type, [&](int r, int c) {
      return int_value(DType::i32, 0u - int_bits(a.at(r, c)));
    }));
    EXPECT_TRUE(matches(pto::abs(a), type, [&](int r, int c) {
      const double v = a.at(r, c);
      return v < 0 ? int_value(DType::i32, 0u - int_bits(v)) : v;
    }));
  }
  // INT_MIN wraps to itself (as -x computed modulo 2^32).
  const DynTile e = row_tile(
      DType::i32, {0, -1, 1, static_cast<double>(kI32Min), static_cast<double>(kI32Max), -123456});
  EXPECT_TRUE(matches(pto::neg(e), e.type(), [&](int, int c) {
    return int_value(DType::i32, 0u - int_bits(e.at(0, c)));
  }));
  const std::vector<double> want_abs = {
      0, 1, 1, static_cast<double>(kI32Min), static_cast<double>(kI32Max), 123456};
  EXPECT_TRUE(matches(pto::abs(e), e.type(),
                      [&](int, int c) { return want_abs[static_cast<std::size_t>(c)]; }));
}

// =================================================================================================
// Reductions
// =================================================================================================

/// Relative rounding allowance of a narrow result (one ulp of the result type).
double narrow_eps(DType d) {
  return d == DType::f16 ? std::ldexp(1.0, -10) : d == DType::bf16 ? std::ldexp(1.0, -7) : 0.0;
}

TEST(TileReduce, FloatSumsAndMeans) {
  std::mt19937 rng(31);
  for (DType d : kFloatDTypes)
    for (const Shape s : kShapes) {
      SCOPED_TRACE(name(d) + "[" + std::to_string(s.rows) + "x" + std::to_string(s.cols) + "]");
      const TileType type{s.rows, s.cols, d};
      const DynTile a = random_tile(type, rng, -4.0, 4.0);
      std::vector<double> rsum(static_cast<std::size_t>(s.rows)), rabs(rsum.size());
      std::vector<double> csum(static_cast<std::size_t>(s.cols)), cabs(csum.size());
      for (int r = 0; r < s.rows; ++r)
        for (int c = 0; c < s.cols; ++c) {
          const double v = a.at(r, c);
          rsum[static_cast<std::size_t>(r)] += v;
          rabs[static_cast<std::size_t>(r)] += std::fabs(v);
          csum[static_cast<std::size_t>(c)] += v;
          cabs[static_cast<std::size_t>(c)] += std::fabs(v);
        }
      auto near = [&](double got, double want, double sum_abs) {
        return std::fabs(got - want) <= 1e-5 * sum_abs + narrow_eps(d) * std::fabs(want);
      };
      const DynTile rs = pto::rowsum(a), rm = pto::rowmean(a), cs = pto::colsum(a);
      ASSERT_EQ(rs.type(), (TileType{s.rows, 1, d}));
      ASSERT_EQ(rm.type(), (TileType{s.rows, 1, d}));
      ASSERT_EQ(cs.type(), (TileType{1, s.cols, d}));
      EXPECT_EQ(rs.valid_rows(), s.rows);
      EXPECT_EQ(rs.valid_cols(), 1);
      EXPECT_EQ(cs.valid_rows(), 1);
      EXPECT_EQ(cs.valid_cols(), s.cols);
      for (int r = 0; r < s.rows; ++r) {
        const auto i = static_cast<std::size_t>(r);
        EXPECT_PRED3(near, rs.at(r, 0), rsum[i], rabs[i]) << "rowsum row " << r;
        EXPECT_PRED3(near, rm.at(r, 0), rsum[i] / s.cols, rabs[i] / s.cols) << "rowmean row " << r;
      }
      for (int c = 0; c < s.cols; ++c) {
        const auto i = static_cast<std::size_t>(c);
        EXPECT_PRED3(near, cs.at(0, c), csum[i], cabs[i]) << "colsum col " << c;
      }
    }
}

TEST(TileReduce, MaxAndMinAreExact) {
  std::mt19937 rng(32);
  for (DType d : kAllDTypes)
    for (const Shape s : kShapes) {
      SCOPED_TRACE(name(d) + "[" + std::to_string(s.rows) + "x" + std::to_string(s.cols) + "]");
      const TileType type{s.rows, s.cols, d};
      const DynTile a = random_any(type, rng);
      auto row_fold = [&](int r, bool want_max) {
        double v = a.at(r, 0);
        for (int c = 1; c < s.cols; ++c)
          v = want_max ? std::max(v, a.at(r, c)) : std::min(v, a.at(r, c));
        return v;
      };
      auto col_max = [&](int c) {
        double v = a.at(0, c);
        for (int r = 1; r < s.rows; ++r) v = std::max(v, a.at(r, c));
        return v;
      };
      EXPECT_TRUE(matches(pto::rowmax(a), TileType{s.rows, 1, d},
                          [&](int r, int) { return row_fold(r, true); }));
      EXPECT_TRUE(matches(pto::rowmin(a), TileType{s.rows, 1, d},
                          [&](int r, int) { return row_fold(r, false); }));
      EXPECT_TRUE(
          matches(pto::colmax(a), TileType{1, s.cols, d}, [&](int, int c) { return col_max(c); }));
    }
}

TEST(TileReduce, IntegerSumsWrap) {
  std::mt19937 rng(33);
  for (DType d : kIntDTypes)
    for (const Shape s : kShapes) {
      SCOPED_TRACE(name(d) + "[" + std::to_string(s.rows) + "x" + std::to_string(s.cols) + "]");
      const DynTile a = random_int_tile(TileType{s.rows, s.cols, d}, rng);
      EXPECT_TRUE(matches(pto::rowsum(a), TileType{s.rows, 1, d}, [&](int r, int) {
        std::uint32_t acc = 0;
        for (int c = 0; c < s.cols; ++c) acc += int_bits(a.at(r, c));
        return int_value(d, acc);
      }));
      EXPECT_TRUE(matches(pto::colsum(a), TileType{1, s.cols, d}, [&](int, int c) {
        std::uint32_t acc = 0;
        for (int r = 0; r < s.rows; ++r) acc += int_bits(a.at(r, c));
        return int_value(d, acc);
      }));
    }
  // Small values sum exactly.
  const DynTile small = pto::iota(TileType{2, 5, DType::i32}, -2.0);
  EXPECT_EQ(pto::rowsum(small).at(1, 0), 0.0);
  EXPECT_EQ(pto::colsum(small).at(0, 4), 4.0);
}

TEST(TileReduce, MaxMinPropagateNaNAndHandleInfinities) {
  for (DType d : kFloatDTypes) {
    SCOPED_TRACE(name(d));
    const int cols = 37;  // vector lanes and a scalar tail
    for (int pos : {0, 1, 15, 16, 17, 31, 36}) {
      DynTile a = pto::iota(TileType{3, cols, d}, -10.0);
      a.set(1, pos, kNaN);
      a.set(2, pos, kInf);
      a.set(0, pos, -kInf);
      const DynTile mx = pto::rowmax(a), mn = pto::rowmin(a);
      EXPECT_EQ(mx.at(0, 0), -10.0 + cols - (pos == cols - 1 ? 2 : 1)) << pos;
      EXPECT_EQ(mn.at(0, 0), -kInf) << pos;
      EXPECT_TRUE(std::isnan(mx.at(1, 0))) << pos;
      EXPECT_TRUE(std::isnan(mn.at(1, 0))) << pos;
      EXPECT_EQ(mx.at(2, 0), kInf) << pos;
      EXPECT_EQ(mn.at(2, 0), -10.0 + (pos == 0 ? 1 : 0)) << pos;
      // colmax: the NaN in row 1 wins in column `pos` only.
      const DynTile cm = pto::colmax(a);
      for (int c = 0; c < cols; ++c) {
        if (c == pos)
          EXPECT_TRUE(std::isnan(cm.at(0, c))) << pos;
        else
          EXPECT_EQ(cm.at(0, c), round_to(d, -10.0 + c)) << pos << " col " << c;
      }
    }
    // NaN in the first row of a column, then larger values below.
    DynTile b = pto::full(TileType{4, 3, d}, 1.0);
    b.set(0, 1, kNaN);
    b.set(3, 1, 100.0);
    EXPECT_TRUE(std::isnan(pto::colmax(b).at(0, 1)));
    EXPECT_EQ(pto::colmax(b).at(0, 0), 1.0);
    // A NaN row sum/mean is NaN as well.
    EXPECT_TRUE(std::isnan(pto::rowsum(b).at(0, 0)));
    EXPECT_TRUE(std::isnan(pto::rowmean(b).at(0, 0)));
    EXPECT_TRUE(std::isnan(pto::colsum(b).at(0, 1)));
  }
}

// =================================================================================================
// broadcast
// =================================================================================================

TEST(TileBroadcast, RowColumnAndScalarSources) {
  std::mt19937 rng(41);
  for (DType d : kAllDTypes)
    for (const Shape s : kShapes) {
      SCOPED_TRACE(name(d) + "[" + std::to_string(s.rows) + "x" + std::to_string(s.cols) + "]");
      const TileType type{s.rows, s.cols, d};
      const DynTile col = random_any(TileType{s.rows, 1, d}, rng);
      const DynTile row = random_any(TileType{1, s.cols, d}, rng);
      const DynTile one = random_any(TileType{1, 1, d}, rng);
      const DynTile same = random_any(type, rng);
      EXPECT_TRUE(matches(pto::broadcast(col, s.rows, s.cols), type,
                          [&](int r, int) { return col.at(r, 0); }));
      EXPECT_TRUE(matches(pto::broadcast(row, s.rows, s.cols), type,
                          [&](int, int c) { return row.at(0, c); }));
      EXPECT_TRUE(matches(pto::broadcast(one, s.rows, s.cols), type,
                          [&](int, int) { return one.at(0, 0); }));
      EXPECT_TRUE(matches(pto::broadcast(same, s.rows, s.cols), type,
                          [&](int r, int c) { return same.at(r, c); }));
    }
  // NaN and -0 are copied bit for bit.
  const DynTile n = pto::broadcast(row_tile(DType::f16, {kNaN, -0.0}), 3, 2);
  EXPECT_TRUE(std::isnan(n.at(2, 0)));
  EXPECT_TRUE(std::signbit(n.at(2, 1)));
  // Static form.
  const pto::Tile<3, 1, DType::f32> c3(pto::iota(TileType{3, 1, DType::f32}, 4.0));
  const pto::Tile<3, 5, DType::f32> b35 = pto::broadcast<3, 5>(c3);
  EXPECT_TRUE(matches(b35.dyn(), TileType{3, 5, DType::f32}, [](int, int) { return 4.0; }));
  const pto::Tile<1, 4, DType::i32> r4(pto::iota(TileType{1, 4, DType::i32}, 7.0));
  EXPECT_TRUE(matches(pto::broadcast<6, 4>(r4).dyn(), TileType{6, 4, DType::i32},
                      [](int, int c) { return 7.0 + c; }));
  const pto::Tile<1, 1, DType::bf16> s11(pto::full(TileType{1, 1, DType::bf16}, -2.5));
  EXPECT_TRUE(matches(pto::broadcast<2, 9>(s11).dyn(), TileType{2, 9, DType::bf16},
                      [](int, int) { return -2.5; }));
}

// =================================================================================================
// matmul
// =================================================================================================

struct Mnk {
  int m, k, n;
};

/// a (M×K, stored K×M when transposed) · b (K×N, stored N×K when transposed) [+ acc], in double.
std::vector<double> matmul_ref(const DynTile& a, const DynTile& b, const DynTile* acc, Mnk s,
                               pto::MatmulOptions o) {
  std::vector<double> out(static_cast<std::size_t>(s.m) * s.n);
  for (int i = 0; i < s.m; ++i)
    for (int j = 0; j < s.n; ++j) {
      double v = acc ? acc->at(i, j) : 0.0;
      for (int p = 0; p < s.k; ++p)
        v += (o.transpose_a ? a.at(p, i) : a.at(i, p)) * (o.transpose_b ? b.at(j, p) : b.at(p, j));
      out[static_cast<std::size_t>(i) * s.n + j] = v;
    }
  return out;
}

double max_abs(const DynTile& t) {
  double m = 0;
  for (int r = 0; r < t.rows(); ++r)
    for (int c = 0; c < t.cols(); ++c) m = std::max(m, std::fabs(t.at(r, c)));
  return m;
}

TEST(TileMatmul, MatchesReferenceOnEigenAndBlasSizes) {
  // M*N*K < 32768 runs on Eigen, >= 32768 on OpenBLAS: 31x32x33 = 32736 and 32x32x32 = 32768 sit
  // on either side of the threshold.
  const Mnk sizes[] = {{1, 1, 1},    {8, 8, 8},    {17, 33, 9},  {3, 5, 7},
                       {31, 32, 33}, {32, 32, 32}, {64, 64, 64}, {37, 71, 41}};
  std::mt19937 rng(51);
  for (DType d : kFloatDTypes)
    for (const Mnk s : sizes)
      for (int flags = 0; flags < 4; ++flags)
        for (bool with_acc : {false, true}) {
          const pto::MatmulOptions o{(flags & 1) != 0, (flags & 2) != 0};
          SCOPED_TRACE(name(d) + " m=" + std::to_string(s.m) + " k=" + std::to_string(s.k) +
                       " n=" + std::to_string(s.n) + " ta=" + std::to_string(o.transpose_a) +
                       " tb=" + std::to_string(o.transpose_b) + " acc=" + std::to_string(with_acc));
          const DynTile a = random_tile(
              o.transpose_a ? TileType{s.k, s.m, d} : TileType{s.m, s.k, d}, rng, -2.0, 2.0);
          const DynTile b = random_tile(
              o.transpose_b ? TileType{s.n, s.k, d} : TileType{s.k, s.n, d}, rng, -3.0, 3.0);
          const DynTile acc = random_tile(TileType{s.m, s.n, DType::f32}, rng, -10.0, 10.0);
          const DynTile got = with_acc ? pto::matmul(a, b, acc, o) : pto::matmul(a, b, o);
          const std::vector<double> want = matmul_ref(a, b, with_acc ? &acc : nullptr, s, o);
          const double scale = 1e-5 * s.k * max_abs(a) * max_abs(b);
          EXPECT_TRUE(matches(
              got, TileType{s.m, s.n, DType::f32},
              [&](int r, int c) { return want[static_cast<std::size_t>(r) * s.n + c]; },
              [&](double g, double w) { return std::fabs(g - w) <= scale + 1e-6 * std::fabs(w); }));
        }
}

TEST(TileMatmul, DefaultOptionsAndExactSmallProducts) {
  // Small integers: every product and sum is exact in f32, so the result is exact.
  DynTile a(TileType{2, 3, DType::f16});
  DynTile b(TileType{3, 2, DType::f16});
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 3; ++c) a.set(r, c, r * 3 + c + 1);  // [[1,2,3],[4,5,6]]
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 2; ++c) b.set(r, c, r * 2 + c + 7);  // [[7,8],[9,10],[11,12]]
  const double want[2][2] = {{58, 64}, {139, 154}};
  EXPECT_TRUE(matches(pto::matmul(a, b), TileType{2, 2, DType::f32},
                      [&](int r, int c) { return want[r][c]; }));
  const DynTile acc = pto::full(TileType{2, 2, DType::f32}, 0.5);
  EXPECT_TRUE(matches(pto::matmul(a, b, acc), TileType{2, 2, DType::f32},
                      [&](int r, int c) { return want[r][c] + 0.5; }));
  // The accumulator tile itself is unchanged.
  EXPECT_EQ(acc.at(1, 1), 0.5);
}

TEST(TileMatmul, StaticForms) {
  std::mt19937 rng(52);
  const DynTile da = random_tile(TileType{5, 7, DType::bf16}, rng, -1, 1);
  const DynTile db = random_tile(TileType{7, 3, DType::bf16}, rng, -1, 1);
  const DynTile dbt = random_tile(TileType{3, 7, DType::bf16}, rng, -1, 1);
  const DynTile dacc = random_tile(TileType{5, 3, DType::f32}, rng, -1, 1);
  const pto::Tile<5, 7, DType::bf16> a(da);
  const pto::Tile<7, 3, DType::bf16> b(db);
  const pto::Tile<3, 7, DType::bf16> bt(dbt);
  const pto::Tile<5, 3, DType::f32> acc(dacc);
  const pto::Tile<5, 3, DType::f32> p = pto::matmul(a, b);
  const pto::Tile<5, 3, DType::f32> pa = pto::matmul(a, b, acc);
  const pto::Tile<5, 3, DType::f32> pnt = pto::matmul_nt(a, bt);
  const TileType rt{5, 3, DType::f32};
  const DynTile want = pto::matmul(da, db);
  const DynTile want_acc = pto::matmul(da, db, dacc);
  const DynTile want_nt = pto::matmul(da, dbt, pto::MatmulOptions{false, true});
  EXPECT_TRUE(matches(p.dyn(), rt, [&](int r, int c) { return want.at(r, c); }));
  EXPECT_TRUE(matches(pa.dyn(), rt, [&](int r, int c) { return want_acc.at(r, c); }));
  EXPECT_TRUE(matches(pnt.dyn(), rt, [&](int r, int c) { return want_nt.at(r, c); }));
  const std::vector<double> ref = matmul_ref(da, dbt, nullptr, {5, 7, 3}, {false, true});
  EXPECT_TRUE(matches(
      pnt.dyn(), rt, [&](int r, int c) { return ref[static_cast<std::size_t>(r) * 3 + c]; },
      tol(1e-5 * 7, 1e-6)));
}

// =================================================================================================
// topk and sort
// =================================================================================================

/// Column order of one row: stable (ties to the lower index), NaN above +inf.
std::vector<int> order_ref(const std::vector<double>& row, bool descending) {
  std::vector<int> idx(row.size());
  std::iota(idx.begin(), idx.end(), 0);
  auto key_less = [](double x, double y) {  // x < y with NaN the largest
    if (std::isnan(x)) return false;
    if (std::isnan(y)) return true;
    return x < y;
  };
  std::stable_sort(idx.begin(), idx.end(), [&](int p, int q) {
    const double x = row[static_cast<std::size_t>(p)], y = row[static_cast<std::size_t>(q)];
    return descending ? key_less(y, x) : key_less(x, y);
  });
  return idx;
}

::testing::AssertionResult topk_matches(const DynTile& a, int k, bool largest,
                                        const std::pair<DynTile, DynTile>& got) {
  const TileType vt{a.rows(), k, a.dtype()}, it{a.rows(), k, DType::i32};
  std::vector<std::vector<int>> orders;
  for (int r = 0; r < a.rows(); ++r) {
    std::vector<double> row;
    for (int c = 0; c < a.cols(); ++c) row.push_back(a.at(r, c));
    orders.push_back(order_ref(row, largest));
  }
  auto src = [&](int r, int j) {
    return orders[static_cast<std::size_t>(r)][static_cast<std::size_t>(j)];
  };
  auto v = matches(got.first, vt, [&](int r, int j) { return a.at(r, src(r, j)); });
  if (!v) return v << " (values)";
  auto i = matches(got.second, it, [&](int r, int j) { return src(r, j); });
  if (!i) return i << " (indices)";
  return ::testing::AssertionSuccess();
}

TEST(TileTopK, MatchesStableReference) {
  std::mt19937 rng(61);
  const Shape shapes[] = {{1, 1}, {3, 5}, {17, 33}, {4, 128}};
  for (DType d : kAllDTypes)
    for (const Shape s : shapes) {
      // Few distinct values, so ties are common; specials for floats.
      DynTile a(TileType{s.rows, s.cols, d});
      std::uniform_int_distribution<int> u(is_int(d) ? 0 : -3, 3), special(0, 9);
      for (int r = 0; r < s.rows; ++r)
        for (int c = 0; c < s.cols; ++c) {
          double v = u(rng);
          if (d == DType::i32 && special(rng) == 0) v = static_cast<double>(kI32Min);
          if (d == DType::u32 && special(rng) == 0) v = static_cast<double>(kU32Max);
          if (!is_int(d)) {
            const int sp = special(rng);
            v = sp == 0   ? kNaN
                : sp == 1 ? kInf
                : sp == 2 ? -kInf
                : sp == 3 ? -0.0
                          : v + 0.5 * u(rng);
          }
          a.set(r, c, v);
        }
      std::vector<int> ks = {1, 2, (s.cols + 1) / 2, s.cols};
      for (int k : ks) {
        if (k > s.cols) continue;
        for (bool largest : {true, false}) {
          SCOPED_TRACE(name(d) + "[" + std::to_string(s.rows) + "x" + std::to_string(s.cols) +
                       "] k=" + std::to_string(k) + " largest=" + std::to_string(largest));
          EXPECT_TRUE(topk_matches(a, k, largest, pto::topk(a, k, largest)));
        }
      }
      for (bool descending : {true, false}) {
        SCOPED_TRACE(name(d) + " sort descending=" + std::to_string(descending));
        EXPECT_TRUE(topk_matches(a, s.cols, descending, pto::sort(a, descending)));
      }
    }
}

TEST(TileTopK, ContractExamples) {
  const DynTile a = row_tile(DType::f32, {1.0, kNaN, 3.0, kInf, 3.0, -kInf, 1.0});
  // Default: largest first; NaN first, then +inf; the tie 3.0 goes to index 2 first.
  const auto [v, i] = pto::topk(a, 4);
  EXPECT_TRUE(std::isnan(v.at(0, 0)));
  EXPECT_EQ(i.at(0, 0), 1.0);
  EXPECT_EQ(v.at(0, 1), kInf);
  EXPECT_EQ(i.at(0, 1), 3.0);
  EXPECT_EQ(i.at(0, 2), 2.0);
  EXPECT_EQ(i.at(0, 3), 4.0);
  // Ascending sort: NaN last, ties in index order.
  const auto [sv, si] = pto::sort(a, false);
  const double want_idx[] = {5, 0, 6, 2, 4, 3, 1};
  for (int j = 0; j < 7; ++j) EXPECT_EQ(si.at(0, j), want_idx[j]) << j;
  EXPECT_TRUE(std::isnan(sv.at(0, 6)));
  // Default sort is descending.
  const auto [dv, di] = pto::sort(a);
  EXPECT_EQ(di.at(0, 0), 1.0);
  EXPECT_EQ(di.at(0, 6), 5.0);
  EXPECT_EQ(dv.at(0, 6), -kInf);
}

TEST(TileTopK, StaticForm) {
  const pto::Tile<2, 6, DType::f16> a(pto::iota(TileType{2, 6, DType::f16}, 0.0));
  const auto [v, i] = pto::topk<3>(a);
  static_assert(std::same_as<decltype(v), const pto::Tile<2, 3, DType::f16>>);
  static_assert(std::same_as<decltype(i), const pto::Tile<2, 3, DType::i32>>);
  for (int r = 0; r < 2; ++r)
    for (int j = 0; j < 3; ++j) {
      EXPECT_EQ(v.at(r, j), 5.0 - j);
      EXPECT_EQ(i.at(r, j), 5.0 - j);
    }
  const auto [sv, si] = pto::topk<2>(a, false);
  EXPECT_EQ(sv.at(1, 0), 0.0);
  EXPECT_EQ(si.at(1, 1), 1.0);
}

// =================================================================================================
// Valid extents (partial tiles, as left by loads at a view's ragged end)
// =================================================================================================

/// A tile whose valid region is filled from `rng` and whose padding holds `pad`.
DynTile partial_tile(TileType type, int vr, int vc, std::mt19937& rng, double pad) {
  DynTile t(type, vr, vc);
  std::uniform_real_distribution<double> u(-4.0, 4.0);
  std::uniform_int_distribution<int> ui(-1000, 1000);
  for (int r = 0; r < type.rows; ++r)
    for (int c = 0; c < type.cols; ++c)
      t.set(r, c, r < vr && c < vc ? (is_int(type.dtype) ? ui(rng) : u(rng)) : pad);
  return t;
}

TEST(TileValidExtent, ElementwiseOps) {
  std::mt19937 rng(71);
  for (DType d : {DType::f32, DType::f16, DType::i32}) {
    SCOPED_TRACE(name(d));
    const double pad = is_int(d) ? 999999 : kNaN;
    const TileType type{4, 6, d};
    const DynTile a = partial_tile(type, 3, 5, rng, pad);
    const DynTile b = partial_tile(type, 4, 2, rng, pad);
    const DynTile rb = partial_tile(TileType{4, 1, d}, 2, 1, rng, pad);
    const DynTile cb = partial_tile(TileType{1, 6, d}, 1, 4, rng, pad);
    auto add_ref = [&](double x, double y) {
      return is_int(d) ? int_value(d, int_bits(x) + int_bits(y)) : round_to(d, x + y);
    };
    // Full form: the min of both per dimension.
    EXPECT_TRUE(matches(pto::add(a, b), type, 3, 2,
                        [&](int r, int c) { return add_ref(a.at(r, c), b.at(r, c)); }));
    // Per-row: rows min, cols of a.  Per-column: rows of a, cols min.
    EXPECT_TRUE(matches(pto::add(a, rb), type, 2, 5,
                        [&](int r, int c) { return add_ref(a.at(r, c), rb.at(r, 0)); }));
    EXPECT_TRUE(matches(pto::rowadd(a, rb), type, 2, 5,
                        [&](int r, int c) { return add_ref(a.at(r, c), rb.at(r, 0)); }));
    EXPECT_TRUE(matches(pto::add(a, cb), type, 3, 4,
                        [&](int r, int c) { return add_ref(a.at(r, c), cb.at(0, c)); }));
    EXPECT_TRUE(matches(pto::coladd(a, cb), type, 3, 4,
                        [&](int r, int c) { return add_ref(a.at(r, c), cb.at(0, c)); }));
    // Scalar forms and unary ops keep a's extent.
    EXPECT_TRUE(matches(pto::add(a, 1.0), type, 3, 5,
                        [&](int r, int c) { return add_ref(a.at(r, c), 1.0); }));
    EXPECT_TRUE(matches(pto::add(1.0, a), type, 3, 5,
                        [&](int r, int c) { return add_ref(1.0, a.at(r, c)); }));
    EXPECT_TRUE(matches(pto::neg(a), type, 3, 5, [&](int r, int c) {
      return is_int(d) ? int_value(d, 0u - int_bits(a.at(r, c))) : -a.at(r, c);
    }));
    EXPECT_TRUE(matches(pto::cast(a, DType::f32), TileType{4, 6, DType::f32}, 3, 5,
                        [&](int r, int c) { return a.at(r, c); }));
    if (!is_int(d)) {
      EXPECT_TRUE(matches(
          pto::exp(a), type, 3, 5, [&](int r, int c) { return round_to(d, std::exp(a.at(r, c))); },
          d == DType::f32 ? tol(1e-6, 2e-6) : narrow_ulps(d, 1)));
    }
  }
}

TEST(TileValidExtent, Reductions) {
  std::mt19937 rng(72);
  for (DType d : {DType::f32, DType::bf16, DType::i32}) {
    SCOPED_TRACE(name(d));
    const double pad = is_int(d) ? 1e9 : kNaN;
    const DynTile a = partial_tile(TileType{5, 40, d}, 3, 35, rng, pad);
    auto fold = [&](bool by_row, int i, const std::function<double(double, double)>& f,
                    double init) {
      double v = init;
      const int n = by_row ? 35 : 3;
      for (int j = 0; j < n; ++j) v = f(v, by_row ? a.at(i, j) : a.at(j, i));
      return v;
    };
    auto plus = [](double x, double y) { return x + y; };
    auto mx = [](double x, double y) { return std::max(x, y); };
    auto mn = [](double x, double y) { return std::min(x, y); };
    const Close sum_close = is_int(d) ? Close(exact) : tol(2e-3, narrow_eps(d));
    EXPECT_TRUE(matches(
        pto::rowsum(a), TileType{5, 1, d}, 3, 1, [&](int r, int) { return fold(true, r, plus, 0); },
        sum_close));
    EXPECT_TRUE(matches(pto::rowmax(a), TileType{5, 1, d}, 3, 1,
                        [&](int r, int) { return fold(true, r, mx, -kInf); }));
    EXPECT_TRUE(matches(pto::rowmin(a), TileType{5, 1, d}, 3, 1,
                        [&](int r, int) { return fold(true, r, mn, kInf); }));
    EXPECT_TRUE(matches(
        pto::colsum(a), TileType{1, 40, d}, 1, 35,
        [&](int, int c) { return fold(false, c, plus, 0); }, sum_close));
    EXPECT_TRUE(matches(pto::colmax(a), TileType{1, 40, d}, 1, 35,
                        [&](int, int c) { return fold(false, c, mx, -kInf); }));
    if (!is_int(d)) {
      EXPECT_TRUE(matches(
          pto::rowmean(a), TileType{5, 1, d}, 3, 1,
          [&](int r, int) { return fold(true, r, plus, 0) / 35; }, sum_close));
    }
  }
}

// =================================================================================================
// Static tiles
// =================================================================================================

using F23 = pto::Tile<2, 3, DType::f32>;
using F32x2 = pto::Tile<3, 2, DType::f32>;
using H23 = pto::Tile<2, 3, DType::f16>;
using F21 = pto::Tile<2, 1, DType::f32>;
using F13 = pto::Tile<1, 3, DType::f32>;
using F11 = pto::Tile<1, 1, DType::f32>;

template <typename A, typename B>
concept CanAdd = requires(const A& a, const B& b) {
  pto::add(a, b);
};
template <typename A, typename B>
concept CanDiv = requires(const A& a, const B& b) {
  pto::div(a, b);
};
template <typename A, typename B>
concept CanMax = requires(const A& a, const B& b) {
  pto::max(a, b);
};
template <typename A, typename B>
concept CanRowMul = requires(const A& a, const B& b) {
  pto::rowmul(a, b);
};
template <typename A, typename B>
concept CanColAdd = requires(const A& a, const B& b) {
  pto::coladd(a, b);
};
template <typename A, typename B>
concept CanMatmul = requires(const A& a, const B& b) {
  pto::matmul(a, b);
};
template <typename A, typename B, typename C>
concept CanMatmulAcc = requires(const A& a, const B& b, const C& c) {
  pto::matmul(a, b, c);
};
template <typename A, typename B>
concept CanMatmulNT = requires(const A& a, const B& b) {
  pto::matmul_nt(a, b);
};
template <int R2, int C2, typename A>
concept CanBroadcast = requires(const A& a) {
  pto::broadcast<R2, C2>(a);
};
template <int K, typename A>
concept CanTopK = requires(const A& a) {
  pto::topk<K>(a);
};

// Binary ops: equal shapes and dtypes only; a scalar on either side.
static_assert(CanAdd<F23, F23>);
static_assert(!CanAdd<F23, F32x2>);
static_assert(!CanAdd<F23, H23>);
static_assert(!CanAdd<F23, F21>);  // per-row broadcasting needs the named form statically
static_assert(CanAdd<F23, double>);
static_assert(CanAdd<double, F23>);
static_assert(CanDiv<F23, F23>);
static_assert(!CanDiv<F23, F32x2>);
static_assert(CanMax<H23, H23>);
static_assert(!CanMax<H23, F23>);
// Named per-row / per-column forms.
static_assert(CanRowMul<F23, F21>);
static_assert(!CanRowMul<F23, F13>);
static_assert(!CanRowMul<F23, pto::Tile<3, 1, DType::f32>>);
static_assert(!CanRowMul<F23, pto::Tile<2, 1, DType::f16>>);
static_assert(CanColAdd<F23, F13>);
static_assert(!CanColAdd<F23, F21>);
static_assert(!CanColAdd<F23, pto::Tile<1, 2, DType::f32>>);
// Result types.
static_assert(std::same_as<decltype(pto::add(F23{}, F23{})), F23>);
static_assert(std::same_as<decltype(pto::exp(H23{})), H23>);
static_assert(std::same_as<decltype(pto::rowsum(F23{})), F21>);
static_assert(std::same_as<decltype(pto::rowmean(F23{})), F21>);
static_assert(std::same_as<decltype(pto::colmax(F23{})), F13>);
static_assert(std::same_as<decltype(pto::cast<DType::bf16>(F23{})), pto::Tile<2, 3, DType::bf16>>);
// broadcast: each dimension 1 or equal to the target.
static_assert(CanBroadcast<2, 3, F21>);
static_assert(CanBroadcast<2, 3, F13>);
static_assert(CanBroadcast<7, 9, F11>);
static_assert(CanBroadcast<2, 3, F23>);
static_assert(!CanBroadcast<4, 3, F21>);
static_assert(!CanBroadcast<2, 4, F13>);
static_assert(!CanBroadcast<4, 6, F23>);
// matmul: inner dimensions and the operand dtype must agree; the accumulator is M×N f32.
static_assert(CanMatmul<F23, F32x2>);
static_assert(std::same_as<decltype(pto::matmul(F23{}, F32x2{})), pto::Tile<2, 2, DType::f32>>);
static_assert(!CanMatmul<F23, F23>);
static_assert(!CanMatmul<H23, F32x2>);
static_assert(CanMatmul<H23, pto::Tile<3, 4, DType::f16>>);
static_assert(CanMatmulAcc<F23, F32x2, pto::Tile<2, 2, DType::f32>>);
static_assert(!CanMatmulAcc<F23, F32x2, pto::Tile<2, 3, DType::f32>>);
static_assert(!CanMatmulAcc<H23, pto::Tile<3, 4, DType::f16>, pto::Tile<2, 4, DType::f16>>);
static_assert(CanMatmulNT<F23, pto::Tile<5, 3, DType::f32>>);
static_assert(std::same_as<decltype(pto::matmul_nt(F23{}, pto::Tile<5, 3, DType::f32>{})),
                           pto::Tile<2, 5, DType::f32>>);
static_assert(!CanMatmulNT<F23, F32x2>);
// topk: 1 <= K <= C.
static_assert(CanTopK<1, F23>);
static_assert(CanTopK<3, F23>);
static_assert(!CanTopK<0, F23>);
static_assert(!CanTopK<4, F23>);

TEST(TileStatic, ComputationMatchesDynamic) {
  std::mt19937 rng(81);
  const DynTile da = random_tile(TileType{4, 6, DType::f16}, rng, -2, 2);
  const DynTile db = random_tile(TileType{4, 6, DType::f16}, rng, -2, 2);
  const DynTile dr = random_tile(TileType{4, 1, DType::f16}, rng, 1, 2);
  const DynTile dc = random_tile(TileType{1, 6, DType::f16}, rng, -1, 1);
  const pto::Tile<4, 6, DType::f16> a(da), b(db);
  const pto::Tile<4, 1, DType::f16> r(dr);
  const pto::Tile<1, 6, DType::f16> c(dc);
  // A softmax-like chain.
  const auto s_max = pto::rowmax(a);
  const auto s_e = pto::exp(pto::rowsub(a, s_max));
  const auto s_y = pto::coladd(pto::rowdiv(s_e, pto::rowsum(s_e)), c);
  const auto s_z = pto::max(pto::sub(1.0, pto::mul(s_y, b)), pto::min(pto::div(a, 2.0), b));
  const auto s_w = pto::rowmul(pto::sigmoid(pto::relu(s_z)), r);
  const auto d_max = pto::rowmax(da);
  const DynTile d_e = pto::exp(pto::rowsub(da, d_max));
  const DynTile d_y = pto::coladd(pto::rowdiv(d_e, pto::rowsum(d_e)), dc);
  const DynTile d_z = pto::max(pto::sub(1.0, pto::mul(d_y, db)), pto::min(pto::div(da, 2.0), db));
  const DynTile d_w = pto::rowmul(pto::sigmoid(pto::relu(d_z)), dr);
  static_assert(std::same_as<decltype(s_w), const pto::Tile<4, 6, DType::f16>>);
  EXPECT_TRUE(matches(s_w.dyn(), d_w.type(), [&](int i, int j) { return d_w.at(i, j); }));
  EXPECT_EQ(s_w.valid_rows(), 4);
  EXPECT_EQ(s_w.valid_cols(), 6);
  // More unary ops, reductions and casts through the static overloads.
  const auto s_u = pto::add(pto::gelu(a), pto::silu(pto::tanh(pto::neg(pto::abs(b)))));
  const DynTile d_u = pto::add(pto::gelu(da), pto::silu(pto::tanh(pto::neg(pto::abs(db)))));
  EXPECT_TRUE(matches(s_u.dyn(), d_u.type(), [&](int i, int j) { return d_u.at(i, j); }));
  const auto s_v = pto::cast<DType::f32>(pto::sqrt(pto::add(pto::cos(a), 2.0)));
  const DynTile d_v = pto::cast(pto::sqrt(pto::add(pto::cos(da), 2.0)), DType::f32);
  EXPECT_TRUE(matches(s_v.dyn(), d_v.type(), [&](int i, int j) { return d_v.at(i, j); }));
  const auto s_q = pto::rsqrt(pto::add(pto::log(pto::add(pto::sin(a), 3.0)), 1.0));
  const DynTile d_q = pto::rsqrt(pto::add(pto::log(pto::add(pto::sin(da), 3.0)), 1.0));
  EXPECT_TRUE(matches(s_q.dyn(), d_q.type(), [&](int i, int j) { return d_q.at(i, j); }));
  const auto s_m = pto::colsum(pto::rowsub(pto::coladd(a, pto::colmax(b)), pto::rowmin(b)));
  const DynTile d_m = pto::colsum(pto::rowsub(pto::coladd(da, pto::colmax(db)), pto::rowmin(db)));
  EXPECT_TRUE(matches(s_m.dyn(), d_m.type(), [&](int i, int j) { return d_m.at(i, j); }));
  const auto s_mean = pto::rowmean(pto::rowadd(a, r));
  const DynTile d_mean = pto::rowmean(pto::rowadd(da, dr));
  EXPECT_TRUE(matches(s_mean.dyn(), d_mean.type(), [&](int i, int j) { return d_mean.at(i, j); }));
}

TEST(TileStatic, DefaultConstructedAndAdoptedTiles) {
  const pto::Tile<2, 3, DType::i32> t;
  EXPECT_EQ(t.dyn().type(), (TileType{2, 3, DType::i32}));
  EXPECT_EQ(t.valid_rows(), 2);
  EXPECT_EQ(t.valid_cols(), 3);
  static_assert(pto::Tile<2, 3, DType::i32>::type() == TileType{2, 3, DType::i32});
  EXPECT_TYPE_ERROR((F23(DynTile(TileType{3, 2, DType::f32}))), "Tile:", "f32[2x3]", "f32[3x2]");
  EXPECT_TYPE_ERROR((F23(DynTile(TileType{2, 3, DType::f16}))), "Tile:", "f32[2x3]", "f16[2x3]");
}

// =================================================================================================
// Errors
// =================================================================================================

TEST(TileErrors, BinaryShapeMismatch) {
  const DynTile a(TileType{3, 5, DType::f32});
  const DynTile b(TileType{5, 3, DType::f32});
  const DynTile r2(TileType{2, 1, DType::f32});
  const DynTile c4(TileType{1, 4, DType::f32});
  for (const BinaryCase& op : kBinary) {
    const std::string p = std::string(op.name) + ":";
    EXPECT_TYPE_ERROR(op.tt(a, b), p, "f32[3x5]", "f32[5x3]");
    EXPECT_TYPE_ERROR(op.tt(a, r2), p, "f32[3x5]", "f32[2x1]");
    EXPECT_TYPE_ERROR(op.tt(a, c4), p, "f32[3x5]", "f32[1x4]");
    // b's shape is not a's broadcast in reverse: a 3x1 ⊕ 3x5 is not a per-row form.
    EXPECT_TYPE_ERROR(op.tt(DynTile(TileType{3, 1, DType::f32}), a), p, "f32[3x1]", "f32[3x5]");
  }
  EXPECT_TYPE_ERROR(a + b, "add:", "f32[3x5]", "f32[5x3]");
  EXPECT_TYPE_ERROR(a * b, "mul:", "f32[3x5]", "f32[5x3]");
}

TEST(TileErrors, NamedRowAndColumnFormsNeedTheirOperandShape) {
  const DynTile a(TileType{4, 5, DType::f32});
  const DynTile row(TileType{4, 1, DType::f32});
  const DynTile col(TileType{1, 5, DType::f32});
  // The messages carry both operand types and the expected operand shape; the prefix is checked
  // in the next test.
  EXPECT_TYPE_ERROR(pto::rowmul(a, col), "", "f32[4x5]", "f32[1x5]", "per-row", "4x1");
  EXPECT_TYPE_ERROR(pto::rowmul(a, a), "", "f32[4x5]", "per-row", "4x1");
  EXPECT_TYPE_ERROR(pto::rowadd(a, DynTile(TileType{3, 1, DType::f32})), "", "f32[4x5]",
                    "f32[3x1]");
  EXPECT_TYPE_ERROR(pto::rowsub(a, col), "", "f32[4x5]", "f32[1x5]", "per-row");
  EXPECT_TYPE_ERROR(pto::rowdiv(a, col), "", "f32[4x5]", "f32[1x5]", "per-row");
  EXPECT_TYPE_ERROR(pto::colmul(a, row), "", "f32[4x5]", "f32[4x1]", "per-column", "1x5");
  EXPECT_TYPE_ERROR(pto::colmul(a, a), "", "f32[4x5]", "per-column", "1x5");
  EXPECT_TYPE_ERROR(pto::coladd(a, row), "", "f32[4x5]", "f32[4x1]", "per-column");
  EXPECT_TYPE_ERROR(pto::coladd(a, DynTile(TileType{1, 6, DType::f32})), "", "f32[4x5]",
                    "f32[1x6]");
  // dtype mismatch in the named forms.
  EXPECT_TYPE_ERROR(pto::rowmul(a, DynTile(TileType{4, 1, DType::f16})), "", "f32[4x5]",
                    "f16[4x1]");
  EXPECT_TYPE_ERROR(
      pto::rowdiv(DynTile(TileType{4, 5, DType::i32}), DynTile(TileType{4, 1, DType::i32})), "",
      "i32[4x5]");
}

// The contract: "the message starts with the op name". For the named per-row/per-column forms the
// op the user called is rowmul/colmul/... (Regression: they once started with "mul:".)
TEST(TileErrors, NamedRowAndColumnFormsNameThemselves) {
  const DynTile a(TileType{4, 5, DType::f32});
  const DynTile row(TileType{4, 1, DType::f32});
  const DynTile col(TileType{1, 5, DType::f32});
  EXPECT_TYPE_ERROR(pto::rowadd(a, col), "rowadd:", "f32[4x5]");
  EXPECT_TYPE_ERROR(pto::rowsub(a, col), "rowsub:", "f32[4x5]");
  EXPECT_TYPE_ERROR(pto::rowmul(a, col), "rowmul:", "f32[4x5]");
  EXPECT_TYPE_ERROR(pto::rowdiv(a, col), "rowdiv:", "f32[4x5]");
  EXPECT_TYPE_ERROR(pto::coladd(a, row), "coladd:", "f32[4x5]");
  EXPECT_TYPE_ERROR(pto::colmul(a, row), "colmul:", "f32[4x5]");
}

TEST(TileErrors, BinaryDTypeMismatch) {
  const DynTile f(TileType{3, 5, DType::f32});
  const DynTile h(TileType{3, 5, DType::f16});
  const DynTile i(TileType{3, 5, DType::i32});
  const DynTile u(TileType{3, 5, DType::u32});
  for (const BinaryCase& op : kBinary) {
    const std::string p = std::string(op.name) + ":";
    EXPECT_TYPE_ERROR(op.tt(f, h), p, "f32[3x5]", "f16[3x5]");
    EXPECT_TYPE_ERROR(op.tt(h, DynTile(TileType{3, 1, DType::bf16})), p, "f16[3x5]", "bf16[3x1]");
    EXPECT_TYPE_ERROR(op.tt(f, DynTile(TileType{1, 5, DType::i32})), p, "f32[3x5]", "i32[1x5]");
    if (op.int_ok) EXPECT_TYPE_ERROR(op.tt(i, u), p, "i32[3x5]", "u32[3x5]");
  }
  EXPECT_TYPE_ERROR(f + h, "add:", "f32[3x5]", "f16[3x5]");
}

TEST(TileErrors, DivisionNeedsFloats) {
  for (DType d : kIntDTypes) {
    const DynTile a(TileType{3, 5, d});
    const std::string t = name(d) + "[3x5]";
    EXPECT_TYPE_ERROR(pto::div(a, a), "div:", t, "float");
    EXPECT_TYPE_ERROR(pto::div(a, 2.0), "div:", t);
    EXPECT_TYPE_ERROR(pto::div(2.0, a), "div:", t);
    EXPECT_TYPE_ERROR(a / a, "div:", t);
    EXPECT_TYPE_ERROR(pto::div(a, DynTile(TileType{3, 1, d})), "div:", t);
  }
}

TEST(TileErrors, FloatOnlyUnaryOps) {
  for (DType d : kIntDTypes) {
    const DynTile a(TileType{3, 5, d});
    const std::string t = name(d) + "[3x5]";
    for (const UnaryCase& op : unary_cases()) {
      const std::string n = op.name;
      if (d == DType::i32 && (n == "neg" || n == "abs")) continue;
      EXPECT_TYPE_ERROR(op.fn(a), n + ":", t);
    }
  }
  EXPECT_TYPE_ERROR(pto::exp(DynTile(TileType{16, 128, DType::i32})), "exp:", "i32[16x128]",
                    "float");
}

TEST(TileErrors, Reductions) {
  EXPECT_TYPE_ERROR(pto::rowmean(DynTile(TileType{3, 5, DType::i32})), "rowmean:", "i32[3x5]");
  EXPECT_TYPE_ERROR(pto::rowmean(DynTile(TileType{3, 5, DType::u32})), "rowmean:", "u32[3x5]");
  EXPECT_TYPE_ERROR(pto::rowsum(DynTile{}), "rowsum:", "empty");
}

TEST(TileErrors, Matmul) {
  const DynTile a(TileType{4, 5, DType::f32});
  const DynTile b(TileType{6, 3, DType::f32});
  EXPECT_TYPE_ERROR(pto::matmul(a, b), "matmul: inner dimensions differ", "f32[4x5]", "f32[6x3]");
  EXPECT_TYPE_ERROR(pto::matmul(a, DynTile(TileType{5, 3, DType::f32}), {true, false}),
                    "matmul: inner dimensions differ", "f32[4x5]", "f32[5x3]");
  EXPECT_TYPE_ERROR(pto::matmul(a, DynTile(TileType{5, 3, DType::f32}), {false, true}),
                    "matmul: inner dimensions differ", "f32[4x5]", "f32[5x3]");
  EXPECT_TYPE_ERROR(pto::matmul(a, DynTile(TileType{5, 3, DType::f16})), "matmul:", "f32[4x5]",
                    "f16[5x3]");
  EXPECT_TYPE_ERROR(
      pto::matmul(DynTile(TileType{4, 5, DType::bf16}), DynTile(TileType{5, 3, DType::f16})),
      "matmul:", "bf16[4x5]", "f16[5x3]");
  EXPECT_TYPE_ERROR(
      pto::matmul(DynTile(TileType{4, 5, DType::i32}), DynTile(TileType{5, 3, DType::i32})),
      "matmul:", "i32[4x5]");
  const DynTile b53(TileType{5, 3, DType::f32});
  EXPECT_TYPE_ERROR(pto::matmul(a, b53, DynTile(TileType{4, 4, DType::f32})), "matmul:", "f32[4x4]",
                    "f32[4x3]");
  EXPECT_TYPE_ERROR(pto::matmul(a, b53, DynTile(TileType{3, 4, DType::f32})), "matmul:", "f32[3x4]",
                    "f32[4x3]");
  EXPECT_TYPE_ERROR(pto::matmul(a, b53, DynTile(TileType{4, 3, DType::f16})), "matmul:", "f16[4x3]",
                    "f32[4x3]");
  EXPECT_TYPE_ERROR(
      pto::matmul(DynTile(TileType{4, 5, DType::f16}), DynTile(TileType{5, 3, DType::f16}),
                  DynTile(TileType{4, 3, DType::f16})),
      "matmul:", "f16[4x3]", "f32[4x3]");
}

TEST(TileErrors, Broadcast) {
  EXPECT_TYPE_ERROR(pto::broadcast(DynTile(TileType{2, 3, DType::f32}), 4, 3),
                    "broadcast:", "f32[2x3]", "4x3");
  EXPECT_TYPE_ERROR(pto::broadcast(DynTile(TileType{3, 1, DType::f32}), 4, 5),
                    "broadcast:", "f32[3x1]", "4x5");
  EXPECT_TYPE_ERROR(pto::broadcast(DynTile(TileType{1, 3, DType::i32}), 4, 5),
                    "broadcast:", "i32[1x3]", "4x5");
  EXPECT_TYPE_ERROR(pto::broadcast(DynTile(TileType{1, 1, DType::f32}), 0, 5), "broadcast:", "0x5");
  EXPECT_TYPE_ERROR(pto::broadcast(DynTile(TileType{1, 1, DType::f32}), 3, -1),
                    "broadcast:", "3x-1");
}

TEST(TileErrors, TopKAndSort) {
  const DynTile a(TileType{3, 5, DType::f32});
  EXPECT_TYPE_ERROR(pto::topk(a, 0), "topk:", "f32[3x5]", "0");
  EXPECT_TYPE_ERROR(pto::topk(a, 6), "topk:", "f32[3x5]", "6");
  EXPECT_TYPE_ERROR(pto::topk(a, -1, false), "topk:", "f32[3x5]");
  EXPECT_TYPE_ERROR(pto::sort(DynTile{}), "sort:", "empty");
}

TEST(TileErrors, CastAndConstruction) {
  const DynTile a(TileType{3, 5, DType::f32});
  EXPECT_TYPE_ERROR(pto::cast(a, DType::f64), "cast:", "f64");
  EXPECT_TYPE_ERROR(pto::cast(a, DType::i8), "cast:", "i8");
  EXPECT_TYPE_ERROR(pto::cast(a, DType::u64), "cast:", "u64");
  EXPECT_TYPE_ERROR(DynTile(TileType{0, 5, DType::f32}), "tile f32[0x5]");
  EXPECT_TYPE_ERROR(DynTile(TileType{5, 0, DType::f32}), "tile f32[5x0]");
  EXPECT_TYPE_ERROR(DynTile(TileType{-1, 5, DType::f32}), "tile f32[-1x5]");
  EXPECT_TYPE_ERROR(DynTile(TileType{2, 2, DType::i8}), "tile i8[2x2]", "i8");
  EXPECT_TYPE_ERROR(DynTile(TileType{2, 2, DType::f64}), "tile f64[2x2]", "f64");
  EXPECT_TYPE_ERROR(DynTile(TileType{2, 2, DType::f32}, 3, 2), "tile f32[2x2]", "3x2");
  EXPECT_TYPE_ERROR(pto::full(TileType{0, 3, DType::f32}, 1.0), "full:", "0x3");
  EXPECT_TYPE_ERROR(pto::full(TileType{2, 3, DType::i8}, 1.0), "full:", "i8");
  EXPECT_TYPE_ERROR(pto::iota(TileType{2, 0, DType::i32}), "iota:", "2x0");
  EXPECT_TYPE_ERROR(pto::iota(TileType{2, 3, DType::f64}), "iota:", "f64");
  // Element access outside the tile.
  EXPECT_TYPE_ERROR(a.at(3, 0), "DynTile::at", "f32[3x5]");
  EXPECT_TYPE_ERROR(a.at(0, -1), "DynTile::at", "f32[3x5]");
}

TEST(TileErrors, EmptyAndParameterOperands) {
  const DynTile a(TileType{3, 5, DType::f32});
  EXPECT_TYPE_ERROR(pto::add(a, DynTile{}), "add:", "empty");
  EXPECT_TYPE_ERROR(pto::mul(DynTile{}, 2.0), "mul:", "empty");
  EXPECT_TYPE_ERROR(pto::exp(DynTile{}), "exp:", "empty");
  EXPECT_TYPE_ERROR(pto::matmul(a, DynTile{}), "matmul:", "empty");
  EXPECT_TYPE_ERROR(pto::cast(DynTile{}, DType::f16), "cast:", "empty");
  EXPECT_TYPE_ERROR(pto::broadcast(DynTile{}, 2, 2), "broadcast:", "empty");
  // A kernel scalar parameter means nothing outside a tile program.
  EXPECT_TYPE_ERROR(pto::add(a, TileScalar::param(0)), "add:", "parameter");
  EXPECT_TYPE_ERROR(pto::div(TileScalar::param(1), a), "div:", "parameter");
}

}  // namespace
