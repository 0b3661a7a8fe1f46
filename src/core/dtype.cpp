// DType tables and the f16/bf16 conversions (round to nearest even, NaN kept quiet).
#include "pto/wsp/core/dtype.hpp"

#include <array>
#include <bit>
#include <cstring>
#include <string>

#include "pto/wsp/core/error.hpp"

namespace pto::wsp {
namespace {

struct DTypeInfo {
  std::string_view name;
  std::size_t size;
};

constexpr std::array<DTypeInfo, kNumDTypes> kInfo{{
    {"f16", 2},
    {"bf16", 2},
    {"f32", 4},
    {"f64", 8},
    {"i8", 1},
    {"i16", 2},
    {"i32", 4},
    {"i64", 8},
    {"u8", 1},
    {"u16", 2},
    {"u32", 4},
    {"u64", 8},
}};

}  // namespace

std::size_t size_of(DType t) noexcept {
  return kInfo[static_cast<std::size_t>(t)].size;
}

std::string_view name_of(DType t) noexcept {
  return kInfo[static_cast<std::size_t>(t)].name;
}

DType parse_dtype(std::string_view text) {
  for (int i = 0; i < kNumDTypes; ++i) {
    if (kInfo[i].name == text) return static_cast<DType>(i);
  }
  throw TypeCheckError("unknown dtype '" + std::string(text) +
                       "': expected one of f16, bf16, f32, f64, i8, i16, i32, i64, u8, u16, u32, "
                       "u64");
}

bool is_float(DType t) noexcept {
  return t == DType::f16 || t == DType::bf16 || t == DType::f32 || t == DType::f64;
}
bool is_signed_int(DType t) noexcept {
  return t == DType::i8 || t == DType::i16 || t == DType::i32 || t == DType::i64;
}
bool is_unsigned_int(DType t) noexcept {
  return t == DType::u8 || t == DType::u16 || t == DType::u32 || t == DType::u64;
}

// binary16 from binary32, round to nearest even, following the bit layout of IEEE 754-2008.
f16_t::f16_t(float value) noexcept {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(value);
  const std::uint32_t sign = (x >> 16) & 0x8000u;
  const std::uint32_t exp = (x >> 23) & 0xffu;
  std::uint32_t mant = x & 0x7fffffu;
  if (exp == 0xff) {  // inf or NaN; keep NaNs quiet and non-zero.
    bits = static_cast<std::uint16_t>(sign | 0x7c00u | (mant ? (0x200u | (mant >> 13)) : 0u));
    return;
  }
  const int e = static_cast<int>(exp) - 127 + 15;
  if (e >= 0x1f) {  // overflow -> inf
    bits = static_cast<std::uint16_t>(sign | 0x7c00u);
    return;
  }
  if (e <= 0) {  // subnormal or zero in f16
    if (e < -10) {
      bits = static_cast<std::uint16_t>(sign);
      return;
    }
    mant |= 0x800000u;
    const int shift = 14 - e;
    std::uint32_t half = mant >> shift;
    const std::uint32_t rem = mant & ((1u << shift) - 1u);
    const std::uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (half & 1u))) ++half;
    bits = static_cast<std::uint16_t>(sign | half);
    return;
  }
  std::uint32_t half = sign | (static_cast<std::uint32_t>(e) << 10) | (mant >> 13);
  const std::uint32_t rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1u))) ++half;  // may carry into inf: correct
  bits = static_cast<std::uint16_t>(half);
}

f16_t::operator float() const noexcept {
  const std::uint32_t sign = (static_cast<std::uint32_t>(bits) & 0x8000u) << 16;
  const std::uint32_t exp = (bits >> 10) & 0x1fu;
  std::uint32_t mant = bits & 0x3ffu;
  std::uint32_t out;
  if (exp == 0x1f) {
    out = sign | 0x7f800000u | (mant << 13);
  } else if (exp == 0) {
    if (mant == 0) {
      out = sign;
    } else {  // normalise the subnormal
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400u) == 0);
      out = sign | (static_cast<std::uint32_t>(127 - 15 - e) << 23) | ((mant & 0x3ffu) << 13);
    }
  } else {
    out = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  return std::bit_cast<float>(out);
}

bf16_t::bf16_t(float value) noexcept {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(value);
  if ((x & 0x7f800000u) == 0x7f800000u && (x & 0x7fffffu)) {
    bits = static_cast<std::uint16_t>((x >> 16) | 0x40u);  // quiet NaN
    return;
  }
  const std::uint32_t rounding = 0x7fffu + ((x >> 16) & 1u);
  bits = static_cast<std::uint16_t>((x + rounding) >> 16);
}

bf16_t::operator float() const noexcept {
  return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16);
}

double load_as_double(const void* base, DType t, std::size_t i) noexcept {
  switch (t) {
    case DType::f16:
      return static_cast<float>(static_cast<const f16_t*>(base)[i]);
    case DType::bf16:
      return static_cast<float>(static_cast<const bf16_t*>(base)[i]);
    case DType::f32:
      return static_cast<const float*>(base)[i];
    case DType::f64:
      return static_cast<const double*>(base)[i];
    case DType::i8:
      return static_cast<const std::int8_t*>(base)[i];
    case DType::i16:
      return static_cast<const std::int16_t*>(base)[i];
    case DType::i32:
      return static_cast<const std::int32_t*>(base)[i];
    case DType::i64:
      return static_cast<double>(static_cast<const std::int64_t*>(base)[i]);
    case DType::u8:
      return static_cast<const std::uint8_t*>(base)[i];
    case DType::u16:
      return static_cast<const std::uint16_t*>(base)[i];
    case DType::u32:
      return static_cast<const std::uint32_t*>(base)[i];
    case DType::u64:
      return static_cast<double>(static_cast<const std::uint64_t*>(base)[i]);
  }
  return 0.0;
}

void store_from_double(void* base, DType t, std::size_t i, double v) noexcept {
  switch (t) {
    case DType::f16:
      static_cast<f16_t*>(base)[i] = f16_t(static_cast<float>(v));
      return;
    case DType::bf16:
      static_cast<bf16_t*>(base)[i] = bf16_t(static_cast<float>(v));
      return;
    case DType::f32:
      static_cast<float*>(base)[i] = static_cast<float>(v);
      return;
    case DType::f64:
      static_cast<double*>(base)[i] = v;
      return;
    case DType::i8:
      static_cast<std::int8_t*>(base)[i] = static_cast<std::int8_t>(v);
      return;
    case DType::i16:
      static_cast<std::int16_t*>(base)[i] = static_cast<std::int16_t>(v);
      return;
    case DType::i32:
      static_cast<std::int32_t*>(base)[i] = static_cast<std::int32_t>(v);
      return;
    case DType::i64:
      static_cast<std::int64_t*>(base)[i] = static_cast<std::int64_t>(v);
      return;
    case DType::u8:
      static_cast<std::uint8_t*>(base)[i] = static_cast<std::uint8_t>(v);
      return;
    case DType::u16:
      static_cast<std::uint16_t*>(base)[i] = static_cast<std::uint16_t>(v);
      return;
    case DType::u32:
      static_cast<std::uint32_t*>(base)[i] = static_cast<std::uint32_t>(v);
      return;
    case DType::u64:
      static_cast<std::uint64_t*>(base)[i] = static_cast<std::uint64_t>(v);
      return;
  }
}

}  // namespace pto::wsp
