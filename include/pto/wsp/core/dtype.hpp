// Element types of tensors and tiles, and the narrow float formats (f16, bf16) stored as bits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace pto::wsp {

enum class DType : std::uint8_t { f16, bf16, f32, f64, i8, i16, i32, i64, u8, u16, u32, u64 };

inline constexpr int kNumDTypes = 12;

/// Bytes per element.
std::size_t size_of(DType t) noexcept;
/// Canonical lower-case name ("f32", "bf16", ...).
std::string_view name_of(DType t) noexcept;
/// Parses a canonical name; throws TypeCheckError naming the text when it is not one.
DType parse_dtype(std::string_view text);
bool is_float(DType t) noexcept;
bool is_signed_int(DType t) noexcept;
bool is_unsigned_int(DType t) noexcept;

/// IEEE 754 binary16, stored as bits; converts through f32 with round-to-nearest-even.
struct f16_t {
  std::uint16_t bits = 0;
  f16_t() = default;
  explicit f16_t(float value) noexcept;
  explicit operator float() const noexcept;
  static f16_t from_bits(std::uint16_t b) noexcept {
    f16_t h;
    h.bits = b;
    return h;
  }
};

/// bfloat16 (the top half of an f32), stored as bits; converts with round-to-nearest-even.
struct bf16_t {
  std::uint16_t bits = 0;
  bf16_t() = default;
  explicit bf16_t(float value) noexcept;
  explicit operator float() const noexcept;
  static bf16_t from_bits(std::uint16_t b) noexcept {
    bf16_t h;
    h.bits = b;
    return h;
  }
};

/// Maps a C++ element type to its DType at compile time.
template <typename T>
struct dtype_of;
template <>
struct dtype_of<f16_t> {
  static constexpr DType value = DType::f16;
};
template <>
struct dtype_of<bf16_t> {
  static constexpr DType value = DType::bf16;
};
template <>
struct dtype_of<float> {
  static constexpr DType value = DType::f32;
};
template <>
struct dtype_of<double> {
  static constexpr DType value = DType::f64;
};
template <>
struct dtype_of<std::int8_t> {
  static constexpr DType value = DType::i8;
};
template <>
struct dtype_of<std::int16_t> {
  static constexpr DType value = DType::i16;
};
template <>
struct dtype_of<std::int32_t> {
  static constexpr DType value = DType::i32;
};
template <>
struct dtype_of<std::int64_t> {
  static constexpr DType value = DType::i64;
};
template <>
struct dtype_of<std::uint8_t> {
  static constexpr DType value = DType::u8;
};
template <>
struct dtype_of<std::uint16_t> {
  static constexpr DType value = DType::u16;
};
template <>
struct dtype_of<std::uint32_t> {
  static constexpr DType value = DType::u32;
};
template <>
struct dtype_of<std::uint64_t> {
  static constexpr DType value = DType::u64;
};

template <typename T>
inline constexpr DType dtype_of_v = dtype_of<T>::value;

/// Reads element `index` of a buffer of dtype `t` as double (exact for every integer up to 2^53).
double load_as_double(const void* base, DType t, std::size_t index) noexcept;
/// Writes `value` into element `index`, rounding/truncating the way a C++ cast would.
void store_from_double(void* base, DType t, std::size_t index, double value) noexcept;

}  // namespace pto::wsp
