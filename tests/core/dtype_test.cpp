// Unit tests for DType tables and the f16/bf16 conversions (exact values, rounding, specials).
#include "pto/wsp/core/dtype.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <random>
#include <string>

#include "pto/wsp/core/error.hpp"
#include "support/expect_error.hpp"

namespace pto::wsp {
namespace {

std::uint32_t bits_of(float f) {
  return std::bit_cast<std::uint32_t>(f);
}
float float_of(std::uint32_t b) {
  return std::bit_cast<float>(b);
}

// Independent decoding of a binary16 value: (-1)^s * 2^(e-15) * 1.m, or 2^-14 * 0.m.
double f16_reference_value(std::uint16_t h) {
  const int sign = (h >> 15) & 1;
  const int exp = (h >> 10) & 0x1f;
  const int mant = h & 0x3ff;
  double v;
  if (exp == 0x1f) {
    v = mant ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  } else if (exp == 0) {
    v = std::ldexp(static_cast<double>(mant), -24);
  } else {
    v = std::ldexp(static_cast<double>(mant + 1024), exp - 25);
  }
  return sign ? -v : v;
}

struct DTypeRow {
  DType type;
  const char* name;
  std::size_t size;
  bool is_float;
  bool is_signed;
  bool is_unsigned;
};

constexpr DTypeRow kRows[] = {
    {DType::f16, "f16", 2, true, false, false}, {DType::bf16, "bf16", 2, true, false, false},
    {DType::f32, "f32", 4, true, false, false}, {DType::f64, "f64", 8, true, false, false},
    {DType::i8, "i8", 1, false, true, false},   {DType::i16, "i16", 2, false, true, false},
    {DType::i32, "i32", 4, false, true, false}, {DType::i64, "i64", 8, false, true, false},
    {DType::u8, "u8", 1, false, false, true},   {DType::u16, "u16", 2, false, false, true},
    {DType::u32, "u32", 4, false, false, true}, {DType::u64, "u64", 8, false, false, true},
};

static_assert(std::size(kRows) == kNumDTypes);
static_assert(dtype_of_v<f16_t> == DType::f16 && dtype_of_v<bf16_t> == DType::bf16);
static_assert(dtype_of_v<float> == DType::f32 && dtype_of_v<double> == DType::f64);
static_assert(dtype_of_v<std::int8_t> == DType::i8 && dtype_of_v<std::uint64_t> == DType::u64);
static_assert(sizeof(f16_t) == 2 && sizeof(bf16_t) == 2);

TEST(DType, SizeNameAndParseRoundTripForAllTwelve) {
  for (const DTypeRow& row : kRows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(size_of(row.type), row.size);
    EXPECT_EQ(name_of(row.type), row.name);
    EXPECT_EQ(parse_dtype(row.name), row.type);
    EXPECT_EQ(parse_dtype(name_of(row.type)), row.type);
    EXPECT_EQ(is_float(row.type), row.is_float);
    EXPECT_EQ(is_signed_int(row.type), row.is_signed);
    EXPECT_EQ(is_unsigned_int(row.type), row.is_unsigned);
  }
}

TEST(DType, ParseRejectsUnknownNamesWithTypeCheckError) {
  EXPECT_THROW_MSG(parse_dtype("f31"), TypeCheckError, "unknown dtype 'f31'");
  EXPECT_THROW_MSG(parse_dtype("F32"), TypeCheckError, "'F32'");
  EXPECT_THROW_MSG(parse_dtype(""), TypeCheckError, "unknown dtype ''");
  EXPECT_THROW_MSG(parse_dtype("float32"), TypeCheckError, "'float32'", "bf16");
}

TEST(DType, LoadAndStoreAsDoubleForEveryType) {
  alignas(8) unsigned char buf[8 * 4] = {};
  for (const DTypeRow& row : kRows) {
    SCOPED_TRACE(row.name);
    store_from_double(buf, row.type, 2, 100.0);
    store_from_double(buf, row.type, 3, 7.0);
    EXPECT_EQ(load_as_double(buf, row.type, 2), 100.0);
    EXPECT_EQ(load_as_double(buf, row.type, 3), 7.0);
    if (row.is_signed || row.is_float) {
      store_from_double(buf, row.type, 1, -3.0);
      EXPECT_EQ(load_as_double(buf, row.type, 1), -3.0);
    }
  }
  // Integer stores truncate toward zero like a C++ cast.
  store_from_double(buf, DType::i32, 0, -2.75);
  EXPECT_EQ(load_as_double(buf, DType::i32, 0), -2.0);
  store_from_double(buf, DType::u16, 0, 65535.9);
  EXPECT_EQ(load_as_double(buf, DType::u16, 0), 65535.0);
  // Wide integers are exact up to 2^53.
  const double big = std::ldexp(1.0, 53);
  store_from_double(buf, DType::i64, 0, -big);
  EXPECT_EQ(load_as_double(buf, DType::i64, 0), -big);
  store_from_double(buf, DType::u64, 0, big);
  EXPECT_EQ(load_as_double(buf, DType::u64, 0), big);
  // Narrow floats go through the rounding conversions.
  store_from_double(buf, DType::f16, 0, 1.0 + std::ldexp(1.0, -11));  // halfway: to even
  EXPECT_EQ(load_as_double(buf, DType::f16, 0), 1.0);
  store_from_double(buf, DType::bf16, 0, -2.5);
  EXPECT_EQ(load_as_double(buf, DType::bf16, 0), -2.5);
}

// ---- f16 ------------------------------------------------------------------------------------

TEST(F16, ExactValuesHaveTheirIeeeBitsAndRoundTrip) {
  struct Case {
    float value;
    std::uint16_t bits;
  };
  const Case cases[] = {
      {1.0f, 0x3c00},
      {-2.5f, 0xc100},
      {65504.0f, 0x7bff},
      {0.5f, 0x3800},
      {0.0f, 0x0000},
      {-65504.0f, 0xfbff},
      {std::ldexp(1.0f, -24), 0x0001},     // smallest subnormal
      {std::ldexp(1.0f, -14), 0x0400},     // smallest normal
      {std::ldexp(1023.0f, -24), 0x03ff},  // largest subnormal
      {-std::ldexp(3.0f, -24), 0x8003},
      {1.0f + std::ldexp(1.0f, -10), 0x3c01},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.value);
    const f16_t h(c.value);
    EXPECT_EQ(h.bits, c.bits);
    EXPECT_EQ(static_cast<float>(f16_t::from_bits(c.bits)), c.value);
    EXPECT_EQ(bits_of(static_cast<float>(h)), bits_of(c.value));
  }
}

TEST(F16, DecodingMatchesAnIndependentFormulaForAllBitPatterns) {
  for (std::uint32_t b = 0; b <= 0xffff; ++b) {
    const auto h = static_cast<std::uint16_t>(b);
    const float f = static_cast<float>(f16_t::from_bits(h));
    const double ref = f16_reference_value(h);
    if (std::isnan(ref)) {
      ASSERT_TRUE(std::isnan(f)) << std::hex << b;
    } else {
      ASSERT_EQ(static_cast<double>(f), ref) << std::hex << b;
      ASSERT_EQ(std::signbit(f), std::signbit(ref)) << std::hex << b;
    }
  }
}

TEST(F16, EveryNonNanBitPatternRoundTripsThroughF32) {
  int checked = 0;
  for (std::uint32_t b = 0; b <= 0xffff; ++b) {
    const auto h = static_cast<std::uint16_t>(b);
    const bool nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0;
    if (nan) continue;
    const f16_t back(static_cast<float>(f16_t::from_bits(h)));
    ASSERT_EQ(back.bits, h) << "f16 bits 0x" << std::hex << b;
    ++checked;
  }
  EXPECT_EQ(checked, 65536 - 2 * 1023);
}

// The f32 exactly halfway between consecutive f16 values h and h+1 must round to the even one.
TEST(F16, HalfwayValuesRoundToEven) {
  int normals = 0;
  for (std::uint16_t h = 0; h < 0x7c00; ++h) {  // every finite non-negative h; h + 1 <= inf
    const float lo = static_cast<float>(f16_t::from_bits(h));
    const std::uint16_t even = (h & 1) ? static_cast<std::uint16_t>(h + 1) : h;
    std::uint32_t mid_bits;
    if (h >= 0x0400) {
      // Normal: an f16 ulp is 2^13 f32 ulps at the same exponent, so the midpoint is +2^12 bits.
      mid_bits = bits_of(lo) + 0x1000u;
      ++normals;
    } else {
      mid_bits = bits_of(std::ldexp(static_cast<float>(2 * h + 1), -25));  // (h + 0.5) * 2^-24
    }
    const float mid = float_of(mid_bits);
    SCOPED_TRACE(::testing::Message() << "h=0x" << std::hex << h);
    ASSERT_EQ(f16_t(mid).bits, even);
    ASSERT_EQ(f16_t(-mid).bits, static_cast<std::uint16_t>(even | 0x8000u));
    // One f32 ulp either side of the midpoint decides by distance, not parity.
    ASSERT_EQ(f16_t(float_of(mid_bits - 1)).bits, h);
    ASSERT_EQ(f16_t(float_of(mid_bits + 1)).bits, static_cast<std::uint16_t>(h + 1));
  }
  EXPECT_GT(normals, 30000);
  // Spot checks written out: 1 + 2^-11 lies between 0x3c00 (even) and 0x3c01.
  EXPECT_EQ(f16_t(float_of(0x3f801000u)).bits, 0x3c00);
  // 1 + 3 * 2^-11 lies between 0x3c01 and 0x3c02 (even).
  EXPECT_EQ(f16_t(float_of(0x3f803000u)).bits, 0x3c02);
  // Half the smallest subnormal ties to zero; a hair more rounds up to it.
  EXPECT_EQ(f16_t(std::ldexp(1.0f, -25)).bits, 0x0000);
  EXPECT_EQ(f16_t(std::nextafter(std::ldexp(1.0f, -25), 1.0f)).bits, 0x0001);
  EXPECT_EQ(f16_t(std::ldexp(3.0f, -25)).bits, 0x0002);  // 1.5 ulp: ties to 2 (even)
}

// Property check on random f32 inputs: the result is a nearest f16, ties going to even.
TEST(F16, RandomFloatsRoundToANearestF16) {
  std::mt19937 rng(12345);
  std::uniform_int_distribution<std::uint32_t> exp_dist(90, 145);  // around the f16 range
  std::uniform_int_distribution<std::uint32_t> mant_dist(0, 0x7fffff);
  for (int i = 0; i < 200000; ++i) {
    const std::uint32_t sign = (i & 1) ? 0x80000000u : 0u;
    const float x = float_of(sign | (exp_dist(rng) << 23) | mant_dist(rng));
    const f16_t h(x);
    const double ax = std::fabs(static_cast<double>(x));
    const std::uint16_t mag = h.bits & 0x7fff;
    ASSERT_EQ((h.bits & 0x8000) != 0, std::signbit(x)) << x;
    if (ax >= 65520.0) {  // the round-to-nearest overflow threshold: max + half an ulp
      ASSERT_EQ(mag, 0x7c00) << x;
      continue;
    }
    ASSERT_LT(mag, 0x7c00) << x;
    const double v = f16_reference_value(mag);
    const double err = std::fabs(v - ax);
    const double err_up = std::fabs(f16_reference_value(static_cast<std::uint16_t>(mag + 1)) - ax);
    ASSERT_LE(err, err_up) << x;
    if (mag > 0) {
      const double err_down =
          std::fabs(f16_reference_value(static_cast<std::uint16_t>(mag - 1)) - ax);
      ASSERT_LE(err, err_down) << x;
      if (err == err_down) {
        ASSERT_EQ(mag & 1, 0) << x;
      }
    }
    if (err == err_up) {
      ASSERT_EQ(mag & 1, 0) << x;
    }
  }
}

TEST(F16, OverflowGoesToInfinity) {
  EXPECT_EQ(f16_t(70000.0f).bits, 0x7c00);
  EXPECT_EQ(f16_t(-70000.0f).bits, 0xfc00);
  EXPECT_EQ(f16_t(65520.0f).bits, 0x7c00);  // halfway between max and 2^16: ties to "even" inf
  EXPECT_EQ(f16_t(65519.0f).bits, 0x7bff);
  EXPECT_EQ(f16_t(1e30f).bits, 0x7c00);
  EXPECT_EQ(f16_t(std::numeric_limits<float>::max()).bits, 0x7c00);
  EXPECT_TRUE(std::isinf(static_cast<float>(f16_t(70000.0f))));
  // Tiny values underflow to a signed zero.
  EXPECT_EQ(f16_t(1e-30f).bits, 0x0000);
  EXPECT_EQ(f16_t(-1e-30f).bits, 0x8000);
}

TEST(F16, InfinitiesNanAndNegativeZeroArePreserved) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(f16_t(inf).bits, 0x7c00);
  EXPECT_EQ(f16_t(-inf).bits, 0xfc00);
  EXPECT_EQ(static_cast<float>(f16_t::from_bits(0x7c00)), inf);
  EXPECT_EQ(static_cast<float>(f16_t::from_bits(0xfc00)), -inf);

  for (std::uint32_t nan_bits : {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0x7fa00000u, 0x7f802000u}) {
    SCOPED_TRACE(::testing::Message() << std::hex << nan_bits);
    const f16_t h(float_of(nan_bits));
    EXPECT_EQ(h.bits & 0x7c00, 0x7c00);
    EXPECT_NE(h.bits & 0x3ff, 0) << "a NaN must not become infinity";
    EXPECT_TRUE(std::isnan(static_cast<float>(h)));
  }
  EXPECT_TRUE(std::isnan(static_cast<float>(f16_t::from_bits(0x7e00))));
  EXPECT_TRUE(std::isnan(static_cast<float>(f16_t::from_bits(0xfc01))));

  const f16_t nz(-0.0f);
  EXPECT_EQ(nz.bits, 0x8000);
  EXPECT_TRUE(std::signbit(static_cast<float>(nz)));
  EXPECT_EQ(static_cast<float>(nz), 0.0f);
}

// ---- bf16 -----------------------------------------------------------------------------------

TEST(BF16, ExactValuesHaveTheirBitsAndRoundTrip) {
  struct Case {
    float value;
    std::uint16_t bits;
  };
  const Case cases[] = {
      {1.0f, 0x3f80},
      {-2.5f, 0xc020},
      {0.0f, 0x0000},
      {65536.0f, 0x4780},
      {std::ldexp(1.0f, -126), 0x0080},  // smallest normal
      {std::ldexp(1.0f, -133), 0x0001},  // smallest subnormal
      {float_of(0x7f7f0000u), 0x7f7f},   // largest finite
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.value);
    EXPECT_EQ(bf16_t(c.value).bits, c.bits);
    EXPECT_EQ(static_cast<float>(bf16_t::from_bits(c.bits)), c.value);
  }
}

TEST(BF16, EveryNonNanBitPatternRoundTripsThroughF32) {
  int checked = 0;
  for (std::uint32_t b = 0; b <= 0xffff; ++b) {
    const auto h = static_cast<std::uint16_t>(b);
    const bool nan = (h & 0x7f80) == 0x7f80 && (h & 0x7f) != 0;
    if (nan) continue;
    const float f = static_cast<float>(bf16_t::from_bits(h));
    ASSERT_EQ(bits_of(f), static_cast<std::uint32_t>(h) << 16);
    ASSERT_EQ(bf16_t(f).bits, h) << "bf16 bits 0x" << std::hex << b;
    ++checked;
  }
  EXPECT_EQ(checked, 65536 - 2 * 127);
}

TEST(BF16, HalfwayValuesRoundToEven) {
  for (std::uint16_t h = 0; h < 0x7f80; ++h) {  // every finite non-negative h
    const std::uint32_t mid = (static_cast<std::uint32_t>(h) << 16) + 0x8000u;
    const std::uint16_t even = (h & 1) ? static_cast<std::uint16_t>(h + 1) : h;
    SCOPED_TRACE(::testing::Message() << "h=0x" << std::hex << h);
    ASSERT_EQ(bf16_t(float_of(mid)).bits, even);
    ASSERT_EQ(bf16_t(float_of(mid | 0x80000000u)).bits, static_cast<std::uint16_t>(even | 0x8000));
    ASSERT_EQ(bf16_t(float_of(mid - 1)).bits, h);
    ASSERT_EQ(bf16_t(float_of(mid + 1)).bits, static_cast<std::uint16_t>(h + 1));
  }
  EXPECT_EQ(bf16_t(float_of(0x3f808000u)).bits, 0x3f80);  // 1 + 2^-8: ties down to even
  EXPECT_EQ(bf16_t(float_of(0x3f818000u)).bits, 0x3f82);  // ties up to even
}

TEST(BF16, OverflowInfinitiesNanAndNegativeZero) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(bf16_t(std::numeric_limits<float>::max()).bits, 0x7f80);  // rounds past the max
  EXPECT_EQ(bf16_t(float_of(0x7f7f7fffu)).bits, 0x7f7f);
  EXPECT_EQ(bf16_t(inf).bits, 0x7f80);
  EXPECT_EQ(bf16_t(-inf).bits, 0xff80);
  EXPECT_EQ(static_cast<float>(bf16_t::from_bits(0xff80)), -inf);
  for (std::uint32_t nan_bits : {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0x7fffffffu}) {
    SCOPED_TRACE(::testing::Message() << std::hex << nan_bits);
    const bf16_t h(float_of(nan_bits));
    EXPECT_EQ(h.bits & 0x7f80, 0x7f80);
    EXPECT_NE(h.bits & 0x7f, 0) << "a NaN must not become infinity";
    EXPECT_TRUE(std::isnan(static_cast<float>(h)));
    EXPECT_EQ((h.bits & 0x8000) != 0, (nan_bits & 0x80000000u) != 0);
  }
  EXPECT_EQ(bf16_t(-0.0f).bits, 0x8000);
  EXPECT_TRUE(std::signbit(static_cast<float>(bf16_t(-0.0f))));
}

}  // namespace
}  // namespace pto::wsp
