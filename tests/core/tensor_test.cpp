// Unit tests for tensor views: construction, layout, zero-copy sub-views and their error messages.
#include "pto/wsp/core/tensor.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "pto/wsp/core/error.hpp"
#include "support/expect_error.hpp"

namespace pto::wsp {
namespace {

using Doubles = std::vector<double>;

// A 3x4 f32 tensor holding 0..11 in row-major order.
Tensor iota_3x4() {
  std::vector<float> v(12);
  std::iota(v.begin(), v.end(), 0.0f);
  return Tensor::from<float>(v, {3, 4});
}

// The byte distance of a view's first element from another pointer, in elements of T.
template <typename T>
std::ptrdiff_t elem_offset(const Tensor& view, const void* base) {
  return (view.bytes() - static_cast<const std::byte*>(base)) /
         static_cast<std::ptrdiff_t>(sizeof(T));
}

TEST(Tensor, ZerosIsOwnedRowMajorZeroFilledAndAligned) {
  const Tensor t = Tensor::zeros(DType::f32, {2, 3, 4});
  EXPECT_TRUE(t.defined());
  EXPECT_EQ(t.dtype(), DType::f32);
  EXPECT_EQ(t.rank(), 3);
  EXPECT_EQ(t.shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(t.strides(), (Shape{12, 4, 1}));
  EXPECT_EQ(t.size(1), 3);
  EXPECT_EQ(t.stride(0), 12);
  EXPECT_EQ(t.numel(), 24);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_TRUE(t.writable());
  EXPECT_EQ(t.type_string(), "f32[2, 3, 4]");
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.bytes()) % 64, 0u);
  EXPECT_EQ(t.to_doubles(), Doubles(24, 0.0));
  EXPECT_EQ(t.root()->storage->bytes(), 24u * 4u);
  // Every dtype gets its element size.
  const Tensor h = Tensor::zeros(DType::f16, {5});
  EXPECT_EQ(h.root()->storage->bytes(), 10u);
  EXPECT_EQ(h.type_string(), "f16[5]");
}

TEST(Tensor, DefaultTensorIsUndefinedAndEmpty) {
  const Tensor t;
  EXPECT_FALSE(t.defined());
  EXPECT_EQ(t.rank(), 0);
  EXPECT_EQ(t.numel(), 0);
  EXPECT_EQ(t.bytes(), nullptr);
  EXPECT_FALSE(t.writable());
  EXPECT_EQ(t.type_string(), "undefined");
  EXPECT_TRUE(t.region().empty());
  EXPECT_THROW_MSG(t.data<float>(), TypeCheckError, "undefined");
}

TEST(Tensor, ScalarAndEmptyShapes) {
  const Tensor s = Tensor::zeros(DType::i64, {});
  EXPECT_EQ(s.rank(), 0);
  EXPECT_EQ(s.numel(), 1);
  s.at<std::int64_t>({}) = 42;
  EXPECT_EQ(s.to_doubles(), Doubles{42.0});
  EXPECT_EQ(s.type_string(), "i64[]");

  const Tensor e = Tensor::zeros(DType::f32, {0, 3});
  EXPECT_EQ(e.numel(), 0);
  EXPECT_TRUE(e.to_doubles().empty());
  EXPECT_TRUE(e.region().empty());
  EXPECT_EQ(e.size(1), 3);
}

TEST(Tensor, BorrowSeesAndWritesCallerMemory) {
  std::vector<float> buf(12);
  std::iota(buf.begin(), buf.end(), 0.0f);
  const Tensor t = Tensor::borrow(buf.data(), {3, 4});
  EXPECT_EQ(t.dtype(), DType::f32);
  EXPECT_EQ(t.bytes(), reinterpret_cast<std::byte*>(buf.data()));
  EXPECT_EQ(t.data<float>(), buf.data());
  EXPECT_EQ(t.at<float>({1, 2}), 6.0f);
  EXPECT_TRUE(t.writable());
  t.at<float>({2, 3}) = -1.0f;
  EXPECT_EQ(buf[11], -1.0f);
  buf[0] = 99.0f;
  EXPECT_EQ(t.to_doubles()[0], 99.0);

  // The untyped overload, with a dtype.
  std::vector<std::int16_t> s(6, 7);
  const Tensor u = Tensor::borrow(static_cast<void*>(s.data()), DType::i16, {2, 3});
  EXPECT_EQ(u.at<std::int16_t>({1, 2}), 7);
  EXPECT_EQ(u.strides(), (Shape{3, 1}));
}

TEST(Tensor, BorrowConstIsReadOnly) {
  const std::vector<float> buf(6, 1.5f);
  const Tensor a = Tensor::borrow_const(buf.data(), DType::f32, {2, 3});
  EXPECT_FALSE(a.writable());
  EXPECT_EQ(a.to_doubles(), Doubles(6, 1.5));
  const Tensor b = Tensor::borrow(buf.data(), {6});  // const T* picks the read-only overload
  EXPECT_FALSE(b.writable());
  EXPECT_FALSE(b[2].writable());
  const std::vector<float> src(6, 2.0f);
  EXPECT_THROW_MSG(Tensor(a).copy_from_bytes(src.data(), 24), CompileError, "read-only",
                   "f32[2, 3]");
  EXPECT_EQ(buf[0], 1.5f);

  std::vector<float> wbuf(6);
  EXPECT_TRUE(Tensor::borrow(wbuf.data(), {6}).writable());
}

TEST(Tensor, FromCopiesTheValues) {
  std::vector<std::int32_t> v{1, 2, 3, 4, 5, 6};
  const Tensor t = Tensor::from<std::int32_t>(v, {2, 3});
  v[0] = 100;
  EXPECT_EQ(t.dtype(), DType::i32);
  EXPECT_EQ(t.to_doubles(), (Doubles{1, 2, 3, 4, 5, 6}));
  EXPECT_NE(t.data<std::int32_t>(), v.data());
  EXPECT_THROW_MSG(Tensor::from<std::int32_t>(v, {2, 2}), CompileError, "24 bytes given",
                   "i32[2, 2]", "16 bytes");

  const std::vector<f16_t> hv{f16_t(1.0f), f16_t(-2.5f)};
  const Tensor h = Tensor::from<f16_t>(hv, {2});
  EXPECT_EQ(h.dtype(), DType::f16);
  EXPECT_EQ(h.to_doubles(), (Doubles{1.0, -2.5}));
}

TEST(Tensor, IndexDropsTheFirstDimensionWithoutCopying) {
  const Tensor t = iota_3x4();
  const Tensor row = t[1];
  EXPECT_EQ(row.shape(), (Shape{4}));
  EXPECT_EQ(row.strides(), (Shape{1}));
  EXPECT_EQ(row.bytes(), t.bytes() + 4 * sizeof(float));
  EXPECT_EQ(row.to_doubles(), (Doubles{4, 5, 6, 7}));
  EXPECT_EQ(row.root(), t.root());
  row.at<float>({2}) = -6.0f;
  EXPECT_EQ(t.at<float>({1, 2}), -6.0f);
  const Tensor elem = t[2][3];
  EXPECT_EQ(elem.rank(), 0);
  EXPECT_EQ(elem.bytes(), t.bytes() + 11 * sizeof(float));
  EXPECT_EQ(elem.to_doubles(), Doubles{11});
}

TEST(Tensor, SliceRangesAndSteps) {
  const Tensor t = iota_3x4();
  const Tensor rows = t.slice(1, 3);
  EXPECT_EQ(rows.shape(), (Shape{2, 4}));
  EXPECT_EQ(rows.bytes(), t.bytes() + 4 * sizeof(float));
  EXPECT_TRUE(rows.is_contiguous());
  EXPECT_EQ(rows.to_doubles(), (Doubles{4, 5, 6, 7, 8, 9, 10, 11}));

  const Tensor cols = t.slice(1, 1, 4, 2);  // columns 1 and 3
  EXPECT_EQ(cols.shape(), (Shape{3, 2}));
  EXPECT_EQ(cols.strides(), (Shape{4, 2}));
  EXPECT_FALSE(cols.is_contiguous());
  EXPECT_EQ(cols.bytes(), t.bytes() + 1 * sizeof(float));
  EXPECT_EQ(cols.to_doubles(), (Doubles{1, 3, 5, 7, 9, 11}));
  EXPECT_EQ(cols.at<float>({2, 1}), 11.0f);

  // A step that does not divide the range keeps the partial last step: 0, 3 of [0, 4).
  EXPECT_EQ(t[0].slice(0, 0, 4, 3).to_doubles(), (Doubles{0, 3}));
  EXPECT_EQ(t.slice(0, 0, 3, 5).shape(), (Shape{1, 4}));
  // Steps compose: every second of every second.
  const Tensor v = Tensor::from<float>(std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {10});
  const Tensor vv = v.slice(0, 1, 10, 2).slice(0, 1, 5, 2);  // 3, 7
  EXPECT_EQ(vv.to_doubles(), (Doubles{3, 7}));
  EXPECT_EQ(vv.strides(), (Shape{4}));
  EXPECT_EQ(vv.bytes(), v.bytes() + 3 * sizeof(float));
  // Empty slices are allowed.
  EXPECT_EQ(t.slice(2, 2).numel(), 0);
  EXPECT_EQ(t.slice(1, 4, 4, 1).shape(), (Shape{3, 0}));
}

// Elements begin, begin + step, ... < end: a step beyond the range keeps exactly `begin`, even
// when begin + step does not fit in 64 bits.
TEST(Tensor, SliceWithAStepBeyondTheRangeKeepsOneElement) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  const Tensor t = iota_3x4();
  EXPECT_EQ(t.slice(0, 1, 3, 1000).shape(), (Shape{1, 4}));
  const Tensor rows = t.slice(0, 1, 3, kMax);
  ASSERT_EQ(rows.shape(), (Shape{1, 4}));
  EXPECT_EQ(rows.to_doubles(), (Doubles{4, 5, 6, 7}));
  const Tensor all = t.slice(0, 0, 3, kMax);
  ASSERT_EQ(all.shape(), (Shape{1, 4}));
  EXPECT_EQ(all.to_doubles(), (Doubles{0, 1, 2, 3}));
  const Tensor cols = t.slice(1, 0, 4, kMax - 1);
  ASSERT_EQ(cols.shape(), (Shape{3, 1}));
  EXPECT_EQ(cols.to_doubles(), (Doubles{0, 4, 8}));
  // Composing a large step with an earlier step.
  const Tensor twice = t.slice(1, 1, 4, 2).slice(1, 0, 2, kMax);
  ASSERT_EQ(twice.shape(), (Shape{3, 1}));
  EXPECT_EQ(twice.to_doubles(), (Doubles{1, 5, 9}));
  EXPECT_EQ(twice.region().elements(), 3);
}

TEST(Tensor, SelectOnAMiddleDimension) {
  std::vector<float> v(24);
  std::iota(v.begin(), v.end(), 0.0f);
  const Tensor t = Tensor::from<float>(v, {2, 3, 4});
  const Tensor s = t.select(1, 2);
  EXPECT_EQ(s.shape(), (Shape{2, 4}));
  EXPECT_EQ(s.strides(), (Shape{12, 1}));
  EXPECT_EQ(s.bytes(), t.bytes() + 8 * sizeof(float));
  EXPECT_EQ(s.to_doubles(), (Doubles{8, 9, 10, 11, 20, 21, 22, 23}));
  EXPECT_FALSE(s.is_contiguous());
  const Tensor last = t.select(2, 3);
  EXPECT_EQ(last.shape(), (Shape{2, 3}));
  EXPECT_EQ(last.strides(), (Shape{12, 4}));
  EXPECT_EQ(last.to_doubles(), (Doubles{3, 7, 11, 15, 19, 23}));
  last.at<float>({1, 1}) = 0.5f;
  EXPECT_EQ(t.at<float>({1, 1, 3}), 0.5f);
}

TEST(Tensor, PermuteAndTranspose) {
  std::vector<float> v(24);
  std::iota(v.begin(), v.end(), 0.0f);
  const Tensor t = Tensor::from<float>(v, {2, 3, 4});
  const Tensor p = t.permute({2, 0, 1});
  EXPECT_EQ(p.shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(p.strides(), (Shape{1, 12, 4}));
  EXPECT_FALSE(p.is_contiguous());
  EXPECT_EQ(p.bytes(), t.bytes());
  for (std::int64_t i = 0; i < 2; ++i)
    for (std::int64_t j = 0; j < 3; ++j)
      for (std::int64_t k = 0; k < 4; ++k)
        EXPECT_EQ(p.at<float>({k, i, j}), t.at<float>({i, j, k}));

  const Tensor m = iota_3x4();
  const Tensor tr = m.transpose(0, 1);
  EXPECT_EQ(tr.shape(), (Shape{4, 3}));
  EXPECT_EQ(tr.strides(), (Shape{1, 4}));
  EXPECT_EQ(tr.to_doubles(), (Doubles{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  EXPECT_EQ(tr.transpose(1, 0).to_doubles(), m.to_doubles());
  EXPECT_TRUE(tr.transpose(0, 1).is_contiguous());
  // A sliced, permuted view indexes through both.
  EXPECT_EQ(tr.slice(1, 3)[1].to_doubles(), (Doubles{2, 6, 10}));

  EXPECT_THROW_MSG(t.permute({0, 1}), CompileError, "2 dimensions given", "rank 3");
  EXPECT_THROW_MSG(t.permute({0, 1, 1}), CompileError, "dimension 1 repeated");
  EXPECT_THROW_MSG(t.permute({0, 1, 3}), CompileError, "dimension 3", "rank 3");
  EXPECT_THROW_MSG(m.transpose(0, 2), CompileError, "dimension 2", "rank 2");
}

TEST(Tensor, ReshapeNeedsAContiguousViewWithTheSameElementCount) {
  const Tensor t = iota_3x4();
  const Tensor r = t.reshape({2, 6});
  EXPECT_EQ(r.shape(), (Shape{2, 6}));
  EXPECT_EQ(r.strides(), (Shape{6, 1}));
  EXPECT_EQ(r.bytes(), t.bytes());
  EXPECT_EQ(r.to_doubles(), t.to_doubles());
  r.at<float>({1, 0}) = -1.0f;  // shares the storage
  EXPECT_EQ(t.at<float>({1, 2}), -1.0f);

  const Tensor tail = t.slice(1, 3).reshape({8});  // a contiguous sub-view keeps its offset
  EXPECT_EQ(tail.bytes(), t.bytes() + 4 * sizeof(float));
  EXPECT_EQ(tail.to_doubles(), (Doubles{4, 5, -1, 7, 8, 9, 10, 11}));
  EXPECT_EQ(t[1].reshape({2, 2}).at<float>({1, 1}), 7.0f);

  EXPECT_THROW_MSG(t.transpose(0, 1).reshape({12}), CompileError, "not contiguous", "f32[4, 3]");
  EXPECT_THROW_MSG(t.slice(1, 0, 4, 2).reshape({6}), CompileError, "not contiguous");
  EXPECT_THROW_MSG(t.reshape({5}), CompileError, "12 elements", "[5]", "has 5");
  EXPECT_THROW_MSG(t.reshape({-1, 12}), CompileError, "negative size -1");
}

TEST(Tensor, SubViewsAreZeroCopyAtTheExpectedOffsets) {
  std::vector<std::int32_t> buf(60);
  const Tensor t = Tensor::borrow(buf.data(), {3, 4, 5});
  const std::int32_t* base = buf.data();
  EXPECT_EQ(elem_offset<std::int32_t>(t[2], base), 40);
  EXPECT_EQ(elem_offset<std::int32_t>(t[1][3], base), 35);
  EXPECT_EQ(elem_offset<std::int32_t>(t.slice(1, 3).select(1, 2), base), 30);
  EXPECT_EQ(elem_offset<std::int32_t>(t.slice(2, 2, 5, 2).slice(1, 1, 3, 1), base), 7);
  EXPECT_EQ(elem_offset<std::int32_t>(t.permute({2, 1, 0})[4][3], base), 19);

  const Tensor v = t[1].slice(1, 1, 5, 3);  // shape [4, 2]: columns 1 and 4 of block 1
  EXPECT_EQ(v.shape(), (Shape{4, 2}));
  for (std::int64_t i = 0; i < 4; ++i) {
    v.at<std::int32_t>({i, 0}) = static_cast<std::int32_t>(100 + i);
    v.at<std::int32_t>({i, 1}) = static_cast<std::int32_t>(200 + i);
  }
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(buf[20 + i * 5 + 1], 100 + i);
    EXPECT_EQ(buf[20 + i * 5 + 4], 200 + i);
  }
  int nonzero = 0;
  for (std::int32_t x : buf) nonzero += x != 0;
  EXPECT_EQ(nonzero, 8);
  // &at() is data() plus the strided offset.
  EXPECT_EQ(&v.at<std::int32_t>({3, 1}), v.data<std::int32_t>() + 3 * 5 + 3);
  EXPECT_EQ(v.offset_of(std::vector<std::int64_t>{3, 1}), 18);
}

TEST(Tensor, WrongElementTypeIsATypeCheckError) {
  const Tensor t = Tensor::zeros(DType::f32, {2, 2});
  EXPECT_THROW_MSG(t.data<std::int32_t>(), TypeCheckError, "i32", "f32");
  EXPECT_THROW_MSG(t.at<double>({0, 0}), TypeCheckError, "f64", "f32");
  EXPECT_THROW_MSG(t.at<f16_t>({0, 0}), TypeCheckError, "f16", "f32");
  const Tensor b = Tensor::zeros(DType::bf16, {2});
  EXPECT_THROW_MSG(b.data<f16_t>(), TypeCheckError, "f16", "bf16");
  EXPECT_NO_THROW(b.data<bf16_t>());
}

TEST(Tensor, OutOfRangeIndicesNameTheIndexAndTheBound) {
  const Tensor t = iota_3x4();
  EXPECT_THROW_MSG(t[3], CompileError, "index 3", "[0, 3)");
  EXPECT_THROW_MSG(t[-1], CompileError, "index -1", "[0, 3)");
  EXPECT_THROW_MSG(t[1][4], CompileError, "index 4", "[0, 4)");
  EXPECT_THROW_MSG(t.select(1, 7), CompileError, "index 7", "[0, 4)", "dimension 1");
  EXPECT_THROW_MSG(t.select(2, 0), CompileError, "dimension 2", "rank 2");
  EXPECT_THROW_MSG(t.select(-1, 0), CompileError, "dimension -1", "rank 2");
  EXPECT_THROW_MSG(t.at<float>({0, 4}), CompileError, "index 4", "dimension 1", "[0, 4)");
  EXPECT_THROW_MSG(t.at<float>({-2, 0}), CompileError, "index -2", "[0, 3)");
  EXPECT_THROW_MSG(t.at<float>({0}), CompileError, "1 indices given", "rank 2");
  EXPECT_THROW_MSG(t.at<float>({0, 0, 0}), CompileError, "3 indices given", "rank 2");
  EXPECT_THROW_MSG(t.slice(0, 4), CompileError, "slice(0, 4)", "[0, 3]");
  EXPECT_THROW_MSG(t.slice(-1, 2), CompileError, "slice(-1, 2)", "[0, 3]");
  EXPECT_THROW_MSG(t.slice(2, 1), CompileError, "slice(2, 1)", "reversed");
  EXPECT_THROW_MSG(t.slice(1, 0, 5, 1), CompileError, "slice(0, 5)", "dimension 1", "[0, 4]");
  EXPECT_THROW_MSG(t.slice(1, 0, 4, 0), CompileError, "step must be positive");
  EXPECT_THROW_MSG(t.slice(1, 0, 4, -1), CompileError, "step must be positive");
  EXPECT_THROW_MSG(t.slice(2, 0, 1, 1), CompileError, "dimension 2", "rank 2");
  EXPECT_THROW_MSG(t.size(2), CompileError, "dimension 2", "rank 2");
  EXPECT_THROW_MSG(t.stride(-1), CompileError, "dimension -1", "rank 2");
  // Bounds are those of the view, not of the root.
  const Tensor v = t.slice(1, 1, 4, 2);  // [3, 2]
  EXPECT_THROW_MSG(v.at<float>({0, 2}), CompileError, "index 2", "[0, 2)");
  EXPECT_THROW_MSG(v.select(1, 2), CompileError, "index 2", "[0, 2)");
  EXPECT_THROW_MSG(t[0][0][0], CompileError, "dimension 0", "rank 0");
}

TEST(Tensor, BadShapesAreCompileErrors) {
  EXPECT_THROW_MSG(Tensor::zeros(DType::f32, {2, -1}), CompileError, "dimension 1",
                   "negative size -1", "[2, -1]");
  const std::int64_t big = std::int64_t{1} << 32;
  EXPECT_THROW_MSG(Tensor::zeros(DType::f32, {big, big}), CompileError,
                   "more elements than fit in 64 bits");
  EXPECT_THROW_MSG(Tensor::zeros(DType::f64, {std::int64_t{1} << 61}), CompileError,
                   "overflow the address space");
  EXPECT_THROW_MSG(Tensor::zeros(DType::u8, Shape(9, 1)), CompileError, "rank 9", "maximum rank 8");
  EXPECT_NO_THROW(Tensor::zeros(DType::u8, Shape(8, 1)));
  float f = 0;
  EXPECT_THROW_MSG(Tensor::borrow(&f, {1, -3}), CompileError, "negative size -3");
  EXPECT_THROW_MSG(Tensor::borrow(&f, {big, big, big}), CompileError, "64 bits");
  EXPECT_THROW_MSG(Tensor::borrow(&f, Shape(9, 1)), CompileError, "rank 9", "maximum rank 8");
  EXPECT_THROW_MSG(Tensor::borrow(&f, {1, 1}, {1}), CompileError, "1 strides given", "rank 2");
  EXPECT_THROW_MSG(Tensor::borrow(static_cast<float*>(nullptr), {2}), CompileError,
                   "null data pointer", "[2]");
  EXPECT_NO_THROW(Tensor::borrow(static_cast<float*>(nullptr), {0, 2}));
  EXPECT_THROW_MSG(Tensor::zeros(DType::u8, {4}).reshape(Shape(9, 1)), CompileError, "rank 9");
}

// A borrowed layout whose element extent does not fit in 64 bits describes no real memory.
TEST(Tensor, BorrowWhoseStridesReachBeyondTheAddressSpaceIsACompileError) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  float f[4] = {};
  EXPECT_THROW_MSG(Tensor::borrow(f, {3}, {kMax}), CompileError, "Tensor::borrow");
  EXPECT_THROW_MSG(Tensor::borrow(f, {3}, {-kMax}), CompileError, "Tensor::borrow");
  EXPECT_THROW_MSG(Tensor::borrow(f, {2, 2}, {kMax / 2 + 1, kMax / 2 + 1}), CompileError,
                   "Tensor::borrow");
  // Large but representable strides are fine; a size-1 dimension's stride is never used.
  EXPECT_NO_THROW(Tensor::borrow(f, {1, 2}, {kMax, 1}));
}

TEST(Tensor, ToDoublesWalksAStridedViewInRowMajorOrder) {
  std::vector<std::int64_t> v(20);
  std::iota(v.begin(), v.end(), std::int64_t{0});
  const Tensor t = Tensor::from<std::int64_t>(v, {4, 5});
  const Tensor view = t.slice(0, 1, 4, 2).slice(1, 0, 5, 2).transpose(0, 1);  // [3, 2]
  EXPECT_EQ(view.shape(), (Shape{3, 2}));
  EXPECT_EQ(view.to_doubles(), (Doubles{5, 15, 7, 17, 9, 19}));
}

TEST(Tensor, CopyFromBytesFillsAStridedViewOnly) {
  const Tensor t = Tensor::zeros(DType::f32, {3, 4});
  const Tensor col = t.select(1, 2);
  const std::vector<float> src{1, 2, 3};
  Tensor(col).copy_from_bytes(src.data(), src.size() * sizeof(float));
  EXPECT_EQ(t.to_doubles(), (Doubles{0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0}));

  Tensor block = t.slice(1, 3).slice(1, 0, 4, 3);  // rows 1-2, columns 0 and 3
  const std::vector<float> src2{10, 11, 12, 13};
  block.copy_from_bytes(src2.data(), 16);
  EXPECT_EQ(t.to_doubles(), (Doubles{0, 0, 1, 0, 10, 0, 2, 11, 12, 0, 3, 13}));
  EXPECT_THROW_MSG(block.copy_from_bytes(src2.data(), 12), CompileError, "12 bytes given",
                   "16 bytes");

  // Contiguous sub-view: the fast path must still land at the view's offset.
  Tensor row = t[2];
  const std::vector<float> src3{7, 7, 7, 7};
  row.copy_from_bytes(src3.data(), 16);
  EXPECT_EQ(t.to_doubles(), (Doubles{0, 0, 1, 0, 10, 0, 2, 11, 7, 7, 7, 7}));
}

TEST(Tensor, BorrowWithExplicitStrides) {
  std::vector<float> buf{0, 1, 2, 3, 4, 5};
  // Column-major 2x3.
  const Tensor cm = Tensor::borrow(buf.data(), {2, 3}, {1, 2});
  EXPECT_EQ(cm.strides(), (Shape{1, 2}));
  EXPECT_FALSE(cm.is_contiguous());
  EXPECT_EQ(cm.to_doubles(), (Doubles{0, 2, 4, 1, 3, 5}));
  EXPECT_EQ(cm.transpose(0, 1).is_contiguous(), true);
  // Negative strides: origin at the last element, walking backwards.
  const Tensor rev = Tensor::borrow(buf.data() + 5, {6}, {-1});
  EXPECT_EQ(rev.to_doubles(), (Doubles{5, 4, 3, 2, 1, 0}));
  EXPECT_EQ(rev.bytes(), reinterpret_cast<std::byte*>(buf.data() + 5));
  EXPECT_EQ(rev.at<float>({1}), 4.0f);
  EXPECT_EQ(rev.slice(0, 1, 6, 2).to_doubles(), (Doubles{4, 2, 0}));
  rev.at<float>({5}) = -10.0f;
  EXPECT_EQ(buf[0], -10.0f);
  EXPECT_EQ(rev.root()->storage->bytes(), 24u);
  EXPECT_EQ(rev.root()->storage->data(), reinterpret_cast<std::byte*>(buf.data()));
  // Rows flipped: [[3, 4, 5], [-10, 1, 2]].
  const Tensor flip = Tensor::borrow(buf.data() + 3, {2, 3}, {-3, 1});
  EXPECT_EQ(flip.to_doubles(), (Doubles{3, 4, 5, -10, 1, 2}));
  EXPECT_EQ(flip[1].bytes(), reinterpret_cast<std::byte*>(buf.data()));
  const std::vector<float> src{30, 31, 32, 33, 34, 35};
  Tensor(flip).copy_from_bytes(src.data(), 24);
  EXPECT_EQ(buf, (std::vector<float>{33, 34, 35, 30, 31, 32}));
  EXPECT_FALSE(flip.is_contiguous());
  EXPECT_THROW_MSG(flip.reshape({6}), CompileError, "not contiguous");
}

TEST(Tensor, TypeStringAndShapeString) {
  EXPECT_EQ(Tensor::zeros(DType::bf16, {4, 8}).type_string(), "bf16[4, 8]");
  EXPECT_EQ(Tensor::zeros(DType::u64, {4, 8}).slice(1, 0, 8, 3).type_string(), "u64[4, 3]");
  const std::vector<std::int64_t> s{1, 2, 3};
  EXPECT_EQ(shape_string(s), "[1, 2, 3]");
  EXPECT_EQ(shape_string({}), "[]");
}

}  // namespace
}  // namespace pto::wsp
