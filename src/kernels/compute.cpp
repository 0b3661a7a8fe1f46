#include "kernels/compute.hpp"

#include <fmt/format.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "pto/wsp/core/error.hpp"

#include <cblas.h>
#include <dlfcn.h>

#include <cstdlib>

namespace pto::detail {
namespace {

using Row = Eigen::Map<Eigen::ArrayXf>;
using ConstRow = Eigen::Map<const Eigen::ArrayXf>;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// OpenBLAS is opened on first use rather than linked. Its pthread build starts a pool of
// (cores - 1) threads as soon as it is loaded, and they spin on sched_yield for ~0.1 s before
// sleeping: every process using the library, matmuls or not, lost cores to them while its first
// executions ran (measured: 2-worker runs at 1-core speed for the first ~100 ms of a process).
// Opened with OPENBLAS_NUM_THREADS=1 (unless the user set it) it starts no pool, and each sgemm
// runs on the calling worker: the runtime's workers are the parallelism. The pthread build and
// not the serial one: Debian's serial build is not safe to call from several threads at once
// (built without USE_LOCKING; concurrent sgemms corrupted results in review). Without OpenBLAS,
// Eigen computes every product (the same results up to rounding order); so it does when the
// library found is not a threaded build (`openblas_get_parallel() == 0`: Debian's alternatives
// may point libopenblas.so.0 at the serial one). The variable is set only around dlopen and only
// if the user had not set it; setenv races with a concurrent getenv in another thread, which no
// code of the runtime does while kernels run.
using Sgemm = decltype(&cblas_sgemm);
Sgemm open_sgemm() {
  const bool ours = ::getenv("OPENBLAS_NUM_THREADS") == nullptr;
  if (ours) ::setenv("OPENBLAS_NUM_THREADS", "1", 0);
  void* lib = ::dlopen(PTO_WSP_OPENBLAS_PATH, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) lib = ::dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
  if (ours) ::unsetenv("OPENBLAS_NUM_THREADS");  // not inherited by child processes
  if (lib == nullptr) return nullptr;            // kept open for the life of the process
  auto* parallel = reinterpret_cast<int (*)()>(::dlsym(lib, "openblas_get_parallel"));
  auto* set_threads = reinterpret_cast<void (*)(int)>(::dlsym(lib, "openblas_set_num_threads"));
  if (parallel == nullptr || parallel() == 0 || set_threads == nullptr) return nullptr;
  set_threads(1);
  return reinterpret_cast<Sgemm>(::dlsym(lib, "cblas_sgemm"));
}

bool is_narrow(DType d) noexcept {
  return d == DType::f16 || d == DType::bf16;
}

/// A double truncated toward zero and saturated to the int64 range; NaN -> 0 (a plain cast of an
/// out-of-range double is undefined).
std::int64_t to_int64(double v) noexcept {
  if (v != v) return 0;
  if (v >= 9223372036854775807.0) return std::numeric_limits<std::int64_t>::max();
  if (v <= -9223372036854775808.0) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(v);
}

/// A double rounded to f32 with round-to-odd: rounding that to f16/bf16 (to nearest even) then
/// equals rounding the double directly (f32 keeps more than 2p + 2 bits of either), where a
/// double -> f32 -> narrow path rounds twice.
float to_float_odd(double v) noexcept {
  const float f = static_cast<float>(v);
  if (!(f == f) || std::isinf(f) || static_cast<double>(f) == v) return f;
  // Inexact: take the f32 neighbour toward zero, then set its last bit (sticky).
  float toward_zero = f;
  if (std::fabs(static_cast<double>(f)) > std::fabs(v)) toward_zero = std::nextafter(f, 0.0f);
  std::uint32_t bits;
  std::memcpy(&bits, &toward_zero, 4);
  bits |= 1u;
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

float widen(DType d, std::uint16_t bits) noexcept {
  return d == DType::f16 ? static_cast<float>(wsp::f16_t::from_bits(bits))
                         : static_cast<float>(wsp::bf16_t::from_bits(bits));
}
std::uint16_t narrow(DType d, float v) noexcept {
  return d == DType::f16 ? wsp::f16_t(v).bits : wsp::bf16_t(v).bits;
}

/// The valid region of a float tile as f32: the tile itself, or a widened copy.
struct F32View {
  float* p = nullptr;
  int stride = 0;
  ConstRow row(int r, int n) const { return ConstRow(p + std::ptrdiff_t{r} * stride, n); }
  Row out_row(int r, int n) const { return Row(p + std::ptrdiff_t{r} * stride, n); }
  float at(int r, int c) const { return p[std::ptrdiff_t{r} * stride + c]; }
};

F32View read_f32(const TileRef& t, Scratch& s, int slot) {
  if (t.type.dtype == DType::f32) return {reinterpret_cast<float*>(t.data), t.type.cols};
  float* buf = s.get(slot, static_cast<std::size_t>(t.valid_rows) * t.valid_cols + 1);
  const auto* src = reinterpret_cast<const std::uint16_t*>(t.data);
  for (int r = 0; r < t.valid_rows; ++r)
    for (int c = 0; c < t.valid_cols; ++c)
      buf[std::ptrdiff_t{r} * t.valid_cols + c] =
          widen(t.type.dtype, src[std::ptrdiff_t{r} * t.type.cols + c]);
  return {buf, t.valid_cols};
}

/// Where an op writes its f32 result: the result tile itself, or scratch narrowed by commit().
F32View write_f32(const TileRef& r, Scratch& s) {
  if (r.type.dtype == DType::f32) return {reinterpret_cast<float*>(r.data), r.type.cols};
  return {s.get(3, static_cast<std::size_t>(r.valid_rows) * r.valid_cols + 1), r.valid_cols};
}

void commit(const TileRef& r, const F32View& out) {
  if (!is_narrow(r.type.dtype)) return;
  auto* dst = reinterpret_cast<std::uint16_t*>(r.data);
  for (int i = 0; i < r.valid_rows; ++i)
    for (int j = 0; j < r.valid_cols; ++j)
      dst[std::ptrdiff_t{i} * r.type.cols + j] = narrow(r.type.dtype, out.at(i, j));
}

// --- integer tiles: i32 and u32, wrapping -------------------------------------------------------
template <typename T>
T* ints(const TileRef& t) {
  return reinterpret_cast<T*>(t.data);
}
template <typename T>
T int_at(const TileRef& t, int r, int c) {
  return ints<T>(t)[std::ptrdiff_t{r} * t.type.cols + c];
}
template <typename T>
T wrap_op(OpCode op, T x, T y) {
  using U = std::make_unsigned_t<T>;
  switch (op) {
    case OpCode::Add:
      return static_cast<T>(static_cast<U>(x) + static_cast<U>(y));
    case OpCode::Sub:
      return static_cast<T>(static_cast<U>(x) - static_cast<U>(y));
    case OpCode::Mul:
      return static_cast<T>(static_cast<U>(x) * static_cast<U>(y));
    case OpCode::Max:
      return std::max(x, y);
    case OpCode::Min:
      return std::min(x, y);
    default:
      throw wsp::InternalError("integer binary op");
  }
}
template <typename T>
T int_scalar(double v) {
  // Truncated and saturated to 64 bits (NaN -> 0), then wrapped to the tile's 32 bits.
  return static_cast<T>(to_int64(v));
}

// --- float helpers ------------------------------------------------------------------------------
struct MaxNaN {
  float operator()(float x, float y) const { return (x != x || y != y) ? kNaN : (x > y ? x : y); }
};
struct MinNaN {
  float operator()(float x, float y) const { return (x != x || y != y) ? kNaN : (x < y ? x : y); }
};

template <typename A, typename B>
void apply_binary(OpCode op, const A& x, const B& y, Row out) {
  switch (op) {
    case OpCode::Add:
      out = x + y;
      return;
    case OpCode::Sub:
      out = x - y;
      return;
    case OpCode::Mul:
      out = x * y;
      return;
    case OpCode::Div:
      out = x / y;
      return;
    case OpCode::Max:
      out = x.binaryExpr(y, MaxNaN{});
      return;
    case OpCode::Min:
      out = x.binaryExpr(y, MinNaN{});
      return;
    default:
      throw wsp::InternalError("float binary op");
  }
}

void binary_float(const Instr& in, const TileRef& a, const TileRef* b, TileRef& r, double scalar,
                  Scratch& s) {
  const int vr = r.valid_rows, vc = r.valid_cols;
  const F32View x = read_f32(a, s, 0);
  const F32View y = b ? read_f32(*b, s, 1) : F32View{};
  const F32View o = write_f32(r, s);
  const auto sv = static_cast<float>(scalar);
  for (int i = 0; i < vr; ++i) {
    const ConstRow xr = x.row(i, vc);
    switch (in.form) {
      case BinaryForm::Full:
        apply_binary(in.op, xr, y.row(i, vc), o.out_row(i, vc));
        break;
      case BinaryForm::PerRow:
        apply_binary(in.op, xr, Eigen::ArrayXf::Constant(vc, y.at(i, 0)), o.out_row(i, vc));
        break;
      case BinaryForm::PerCol:
        apply_binary(in.op, xr, y.row(0, vc), o.out_row(i, vc));
        break;
      case BinaryForm::Scalar:
        apply_binary(in.op, xr, Eigen::ArrayXf::Constant(vc, sv), o.out_row(i, vc));
        break;
      case BinaryForm::ScalarLhs:
        apply_binary(in.op, Eigen::ArrayXf::Constant(vc, sv), xr, o.out_row(i, vc));
        break;
    }
  }
  commit(r, o);
}

template <typename T>
void binary_int(const Instr& in, const TileRef& a, const TileRef* b, TileRef& r, double scalar) {
  const T sv = int_scalar<T>(scalar);
  for (int i = 0; i < r.valid_rows; ++i)
    for (int j = 0; j < r.valid_cols; ++j) {
      const T x = int_at<T>(a, i, j);
      T y{};
      switch (in.form) {
        case BinaryForm::Full:
          y = int_at<T>(*b, i, j);
          break;
        case BinaryForm::PerRow:
          y = int_at<T>(*b, i, 0);
          break;
        case BinaryForm::PerCol:
          y = int_at<T>(*b, 0, j);
          break;
        case BinaryForm::Scalar:
        case BinaryForm::ScalarLhs:
          y = sv;
          break;
      }
      ints<T>(r)[std::ptrdiff_t{i} * r.type.cols + j] =
          in.form == BinaryForm::ScalarLhs ? wrap_op<T>(in.op, y, x) : wrap_op<T>(in.op, x, y);
    }
}

void unary_float(OpCode op, const TileRef& a, TileRef& r, Scratch& s) {
  const int vr = r.valid_rows, vc = r.valid_cols;
  const F32View x = read_f32(a, s, 0);
  const F32View o = write_f32(r, s);
  for (int i = 0; i < vr; ++i) {
    const ConstRow v = x.row(i, vc);
    Row y = o.out_row(i, vc);
    switch (op) {
      case OpCode::Exp:
        y = v.exp();
        break;
      case OpCode::Log:
        y = v.log();
        break;
      // IEEE square roots (vectorized: -fno-math-errno); Eigen's fast-math sqrt is x·rsqrt(x),
      // NaN for +inf and zero for subnormals on AVX-512.
      case OpCode::Sqrt:
        for (int j = 0; j < vc; ++j) y[j] = std::sqrt(v[j]);
        break;
      case OpCode::Rsqrt:
        for (int j = 0; j < vc; ++j) y[j] = 1.0f / std::sqrt(v[j]);
        break;
      case OpCode::Tanh:
        y = v.tanh();
        break;
      case OpCode::Sigmoid:
        y = v.logistic();
        break;
      case OpCode::Relu:
        y = v.unaryExpr([](float e) { return (e > 0.0f || e != e) ? e : 0.0f; });
        break;
      case OpCode::Gelu:
        // The tanh form of GELU (GPT-2, and the NPU's vector gelu).
        y = 0.5f * v * (1.0f + (0.7978845608028654f * (v + 0.044715f * v.cube())).tanh());
        break;
      case OpCode::Silu:
        y = v * v.logistic();
        break;
      case OpCode::Neg:
        y = -v;
        break;
      case OpCode::Abs:
        y = v.abs();
        break;
      case OpCode::Sin:
        y = v.sin();
        break;
      case OpCode::Cos:
        y = v.cos();
        break;
      default:
        throw wsp::InternalError("float unary op");
    }
  }
  commit(r, o);
}

void unary_int(OpCode op, const TileRef& a, TileRef& r) {
  for (int i = 0; i < r.valid_rows; ++i)
    for (int j = 0; j < r.valid_cols; ++j) {
      const auto x = static_cast<std::uint32_t>(int_at<std::int32_t>(a, i, j));
      const std::uint32_t neg = 0u - x;
      const bool negative = (x >> 31) != 0;
      ints<std::int32_t>(r)[std::ptrdiff_t{i} * r.type.cols + j] =
          static_cast<std::int32_t>(op == OpCode::Neg ? neg : (negative ? neg : x));
    }
}

/// max (or min) of a row, NaN when any element is NaN. Eigen's PropagateNaN reductions are scalar
/// loops (6x slower); the fast vectorized max plus a vectorized sum of x·0 (0 unless some element
/// is NaN or infinite, then an exact scan decides) keeps it at memory speed.
float extreme_with_nan(const ConstRow& row, bool want_max) {
  const float r = want_max ? row.maxCoeff() : row.minCoeff();
  const float probe = (row * 0.0f).sum();
  if (probe != probe && row.hasNaN()) return kNaN;
  return r;
}

void reduce_float(OpCode op, const TileRef& a, TileRef& r, Scratch& s) {
  const int vr = a.valid_rows, vc = a.valid_cols;
  const F32View x = read_f32(a, s, 0);
  const F32View o = write_f32(r, s);
  switch (op) {
    case OpCode::RowSum:
    case OpCode::RowMean:
    case OpCode::RowMax:
    case OpCode::RowMin:
      for (int i = 0; i < vr; ++i) {
        float v = 0.0f;
        if (vc == 0) {
          v = op == OpCode::RowMax    ? -kInf
              : op == OpCode::RowMin  ? kInf
              : op == OpCode::RowMean ? kNaN
                                      : 0.0f;
        } else {
          const ConstRow row = x.row(i, vc);
          if (op == OpCode::RowMax || op == OpCode::RowMin)
            v = extreme_with_nan(row, op == OpCode::RowMax);
          else
            v = row.sum();
          if (op == OpCode::RowMean) v /= static_cast<float>(vc);
        }
        o.p[std::ptrdiff_t{i} * o.stride] = v;
      }
      break;
    case OpCode::ColSum:
    case OpCode::ColMax: {
      Row acc = o.out_row(0, vc);
      acc.setConstant(op == OpCode::ColSum ? 0.0f : -kInf);
      for (int i = 0; i < vr; ++i) {
        if (op == OpCode::ColSum)
          acc += x.row(i, vc);
        else
          acc = acc.binaryExpr(x.row(i, vc), MaxNaN{});
      }
      break;
    }
    default:
      throw wsp::InternalError("float reduction");
  }
  commit(r, o);
}

template <typename T>
void reduce_int(OpCode op, const TileRef& a, TileRef& r) {
  const int vr = a.valid_rows, vc = a.valid_cols;
  const bool row = op == OpCode::RowSum || op == OpCode::RowMax || op == OpCode::RowMin;
  const T init = op == OpCode::RowMax || op == OpCode::ColMax ? std::numeric_limits<T>::min()
                 : op == OpCode::RowMin                       ? std::numeric_limits<T>::max()
                                                              : T{0};
  const OpCode combine = op == OpCode::RowSum || op == OpCode::ColSum ? OpCode::Add
                         : op == OpCode::RowMin                       ? OpCode::Min
                                                                      : OpCode::Max;
  if (row) {
    for (int i = 0; i < vr; ++i) {
      T v = init;
      for (int j = 0; j < vc; ++j) v = wrap_op<T>(combine, v, int_at<T>(a, i, j));
      ints<T>(r)[std::ptrdiff_t{i} * r.type.cols] = v;
    }
  } else {
    for (int j = 0; j < vc; ++j) {
      T v = init;
      for (int i = 0; i < vr; ++i) v = wrap_op<T>(combine, v, int_at<T>(a, i, j));
      ints<T>(r)[j] = v;
    }
  }
}

}  // namespace

double element(const TileRef& t, int r, int c) {
  const std::ptrdiff_t i = std::ptrdiff_t{r} * t.type.cols + c;
  switch (t.type.dtype) {
    case DType::f32:
      return reinterpret_cast<const float*>(t.data)[i];
    case DType::f16:
    case DType::bf16:
      return widen(t.type.dtype, reinterpret_cast<const std::uint16_t*>(t.data)[i]);
    case DType::i32:
      return reinterpret_cast<const std::int32_t*>(t.data)[i];
    case DType::u32:
      return reinterpret_cast<const std::uint32_t*>(t.data)[i];
    default:
      throw wsp::InternalError("tile dtype");
  }
}

void set_element(const TileRef& t, int r, int c, double v) {
  const std::ptrdiff_t i = std::ptrdiff_t{r} * t.type.cols + c;
  switch (t.type.dtype) {
    case DType::f32:
      reinterpret_cast<float*>(t.data)[i] = static_cast<float>(v);
      return;
    case DType::f16:
    case DType::bf16:
      reinterpret_cast<std::uint16_t*>(t.data)[i] = narrow(t.type.dtype, to_float_odd(v));
      return;
    case DType::i32: {
      const double clamped = v != v ? 0.0 : std::clamp(std::trunc(v), -2147483648.0, 2147483647.0);
      reinterpret_cast<std::int32_t*>(t.data)[i] = static_cast<std::int32_t>(clamped);
      return;
    }
    case DType::u32: {
      const double clamped = v != v ? 0.0 : std::clamp(std::trunc(v), 0.0, 4294967295.0);
      reinterpret_cast<std::uint32_t*>(t.data)[i] = static_cast<std::uint32_t>(clamped);
      return;
    }
    default:
      throw wsp::InternalError("tile dtype");
  }
}

namespace {

void cast_tile(const TileRef& a, TileRef& r) {
  const DType from = a.type.dtype, to = r.type.dtype;
  const bool int_from = from == DType::i32 || from == DType::u32;
  const bool int_to = to == DType::i32 || to == DType::u32;
  for (int i = 0; i < r.valid_rows; ++i)
    for (int j = 0; j < r.valid_cols; ++j) {
      if (int_from && int_to) {
        // Integer to integer keeps the 32 bits (wraps).
        std::memcpy(r.data + (std::ptrdiff_t{i} * r.type.cols + j) * 4,
                    a.data + (std::ptrdiff_t{i} * a.type.cols + j) * 4, 4);
      } else if (int_from) {
        // Integers become f32 first (rounded to nearest even), then the target float.
        set_element(r, i, j, static_cast<float>(element(a, i, j)));
      } else {
        set_element(r, i, j, element(a, i, j));
      }
    }
}

void fill(const TileRef& r, double value, bool iota) {
  for (int i = 0; i < r.type.rows; ++i)
    for (int j = 0; j < r.type.cols; ++j) {
      if (iota && (r.type.dtype == DType::i32 || r.type.dtype == DType::u32)) {
        const std::int64_t v = to_int64(value) + j;
        std::memcpy(r.data + (std::ptrdiff_t{i} * r.type.cols + j) * 4, &v, 4);  // low 32 bits
      } else {
        set_element(r, i, j, iota ? value + j : value);
      }
    }
}

void broadcast_tile(const TileRef& a, TileRef& r) {
  const std::size_t es = wsp::size_of(a.type.dtype);
  for (int i = 0; i < r.valid_rows; ++i)
    for (int j = 0; j < r.valid_cols; ++j) {
      const int si = a.type.rows == 1 ? 0 : i;
      const int sj = a.type.cols == 1 ? 0 : j;
      std::memcpy(r.data + (std::ptrdiff_t{i} * r.type.cols + j) * es,
                  a.data + (std::ptrdiff_t{si} * a.type.cols + sj) * es, es);
    }
}

/// Per row: the first k of the row's elements in order (descending: largest first), ties to the
/// lower index, NaN above +inf.
void select_rows(const TileRef& a, int k, bool descending, TileRef& values, TileRef& indices) {
  const int vc = a.valid_cols;
  const int kk = std::min(k, vc);
  std::vector<int> order(static_cast<std::size_t>(vc));
  std::vector<double> row(static_cast<std::size_t>(vc));
  for (int i = 0; i < a.valid_rows; ++i) {
    for (int j = 0; j < vc; ++j) row[static_cast<std::size_t>(j)] = element(a, i, j);
    std::iota(order.begin(), order.end(), 0);
    auto before = [&](int p, int q) {
      const double x = row[static_cast<std::size_t>(p)], y = row[static_cast<std::size_t>(q)];
      const bool xn = x != x, yn = y != y;
      if (xn || yn) {
        if (xn && yn) return p < q;
        return descending ? xn : yn;  // NaN is the largest value
      }
      if (x != y) return descending ? x > y : x < y;
      return p < q;
    };
    std::partial_sort(order.begin(), order.begin() + kk, order.end(), before);
    for (int j = 0; j < kk; ++j) {
      const int src = order[static_cast<std::size_t>(j)];
      set_element(values, i, j, row[static_cast<std::size_t>(src)]);
      reinterpret_cast<std::int32_t*>(indices.data)[std::ptrdiff_t{i} * indices.type.cols + j] =
          src;
    }
  }
}

}  // namespace

void compute(const Instr& in, const TileRef* a, const TileRef* b, const TileRef* c, TileRef& r,
             TileRef* r2, double scalar, Scratch& s) {
  const OpCode op = in.op;
  switch (op) {
    case OpCode::Load:
    case OpCode::Store:
      throw wsp::InternalError("compute: load/store go through tile I/O");
    case OpCode::Full:
    case OpCode::Iota:
      r.valid_rows = r.type.rows;
      r.valid_cols = r.type.cols;
      fill(r, scalar, op == OpCode::Iota);
      return;
    case OpCode::Cast:
      r.valid_rows = a->valid_rows;
      r.valid_cols = a->valid_cols;
      cast_tile(*a, r);
      return;
    case OpCode::Add:
    case OpCode::Sub:
    case OpCode::Mul:
    case OpCode::Div:
    case OpCode::Max:
    case OpCode::Min: {
      r.valid_rows = a->valid_rows;
      r.valid_cols = a->valid_cols;
      if (in.form == BinaryForm::Full || in.form == BinaryForm::PerRow)
        r.valid_rows = std::min(r.valid_rows, b->valid_rows);
      if (in.form == BinaryForm::Full || in.form == BinaryForm::PerCol)
        r.valid_cols = std::min(r.valid_cols, b->valid_cols);
      // A per-row (per-column) operand with no valid element leaves nothing valid to compute.
      if (in.form == BinaryForm::PerRow && b->valid_cols == 0) r.valid_cols = 0;
      if (in.form == BinaryForm::PerCol && b->valid_rows == 0) r.valid_rows = 0;
      if (a->type.dtype == DType::i32)
        binary_int<std::int32_t>(in, *a, b, r, scalar);
      else if (a->type.dtype == DType::u32)
        binary_int<std::uint32_t>(in, *a, b, r, scalar);
      else
        binary_float(in, *a, b, r, scalar, s);
      return;
    }
    case OpCode::Exp:
    case OpCode::Log:
    case OpCode::Sqrt:
    case OpCode::Rsqrt:
    case OpCode::Tanh:
    case OpCode::Sigmoid:
    case OpCode::Relu:
    case OpCode::Gelu:
    case OpCode::Silu:
    case OpCode::Neg:
    case OpCode::Abs:
    case OpCode::Sin:
    case OpCode::Cos:
      r.valid_rows = a->valid_rows;
      r.valid_cols = a->valid_cols;
      if (a->type.dtype == DType::i32)
        unary_int(op, *a, r);
      else
        unary_float(op, *a, r, s);
      return;
    case OpCode::RowSum:
    case OpCode::RowMax:
    case OpCode::RowMin:
    case OpCode::RowMean:
    case OpCode::ColSum:
    case OpCode::ColMax: {
      const bool row = op != OpCode::ColSum && op != OpCode::ColMax;
      r.valid_rows = row ? a->valid_rows : 1;
      r.valid_cols = row ? 1 : a->valid_cols;
      if (a->type.dtype == DType::i32)
        reduce_int<std::int32_t>(op, *a, r);
      else if (a->type.dtype == DType::u32)
        reduce_int<std::uint32_t>(op, *a, r);
      else
        reduce_float(op, *a, r, s);
      return;
    }
    case OpCode::Broadcast:
      // A dimension of extent 1 widens only if its element is valid.
      r.valid_rows = a->type.rows == 1 && a->valid_rows == 1 ? r.type.rows : a->valid_rows;
      r.valid_cols = a->type.cols == 1 && a->valid_cols == 1 ? r.type.cols : a->valid_cols;
      broadcast_tile(*a, r);
      return;
    case OpCode::MatMul:
      compute_matmul(in, *a, *b, c, r, s);
      return;
    case OpCode::TopK:
    case OpCode::Sort: {
      const int k = op == OpCode::Sort ? a->type.cols : in.k;
      r.valid_rows = r2->valid_rows = a->valid_rows;
      r.valid_cols = r2->valid_cols = std::min(k, a->valid_cols);
      select_rows(*a, k, in.flag_a, r, *r2);
      return;
    }
  }
  throw wsp::InternalError("compute: unknown op");
}

void compute_matmul(const Instr& in, const TileRef& a, const TileRef& b, const TileRef* acc,
                    TileRef& r, Scratch& s) {
  const bool ta = in.flag_a, tb = in.flag_b;
  int m = ta ? a.valid_cols : a.valid_rows;
  const int k = std::min(ta ? a.valid_rows : a.valid_cols, tb ? b.valid_cols : b.valid_rows);
  int n = tb ? b.valid_rows : b.valid_cols;
  if (acc != nullptr) {
    m = std::min(m, acc->valid_rows);
    n = std::min(n, acc->valid_cols);
  }
  r.valid_rows = m;
  r.valid_cols = n;
  auto* out = reinterpret_cast<float*>(r.data);
  const int ldc = r.type.cols;
  const bool blas = std::int64_t{m} * n * k >= kBlasMinMacs;
  for (int i = 0; i < m; ++i) {
    float* row = out + std::ptrdiff_t{i} * ldc;
    if (acc != nullptr) {
      std::memcpy(row,
                  reinterpret_cast<const float*>(acc->data) + std::ptrdiff_t{i} * acc->type.cols,
                  static_cast<std::size_t>(n) * sizeof(float));
    } else if (!blas || k == 0) {
      std::fill(row, row + n, 0.0f);  // sgemm with beta = 0 needs no zeroed result
    }
  }
  if (m == 0 || n == 0 || k == 0) return;
  const F32View x = read_f32(a, s, 0);
  const F32View y = read_f32(b, s, 1);
  if (blas) {
    static const Sgemm sgemm = open_sgemm();  // thread-safe static initialisation
    if (sgemm != nullptr) {
      sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k,
            1.0f, x.p, x.stride, y.p, y.stride, acc != nullptr ? 1.0f : 0.0f, out, ldc);
      return;
    }
    for (int i = 0; acc == nullptr && i < m; ++i) {  // Eigen accumulates into a zeroed result
      std::fill(out + std::ptrdiff_t{i} * ldc, out + std::ptrdiff_t{i} * ldc + n, 0.0f);
    }
  }
  using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using ConstMap = Eigen::Map<const Mat, Eigen::Unaligned, Eigen::OuterStride<>>;
  using OutMap = Eigen::Map<Mat, Eigen::Unaligned, Eigen::OuterStride<>>;
  const ConstMap A(x.p, ta ? k : m, ta ? m : k, Eigen::OuterStride<>(x.stride));
  const ConstMap B(y.p, tb ? n : k, tb ? k : n, Eigen::OuterStride<>(y.stride));
  OutMap C(out, m, n, Eigen::OuterStride<>(ldc));
  if (!ta && !tb)
    C.noalias() += A * B;
  else if (!ta && tb)
    C.noalias() += A * B.transpose();
  else if (ta && !tb)
    C.noalias() += A.transpose() * B;
  else
    C.noalias() += A.transpose() * B.transpose();
}

void load_tile(const wsp::Tensor& view, int row0, int col0, TileRef& tile, std::string_view what) {
  if (view.rank() != 1 && view.rank() != 2)
    throw wsp::ExecutionError(
        fmt::format("load {}: the bound view has rank {}; tiles load from "
                    "rank-1 or rank-2 views",
                    what, view.rank()));
  if (view.dtype() != tile.type.dtype)
    throw wsp::ExecutionError(fmt::format("load {}: the bound view is {}, the tile {}", what,
                                          wsp::name_of(view.dtype()), tile.type.to_string()));
  const std::int64_t rows = view.rank() == 2 ? view.size(0) : 1;
  const std::int64_t cols = view.size(view.rank() - 1);
  const std::int64_t rs = view.rank() == 2 ? view.stride(0) : 0;
  const std::int64_t cs = view.stride(view.rank() - 1);
  tile.valid_rows = static_cast<int>(std::clamp<std::int64_t>(rows - row0, 0, tile.type.rows));
  tile.valid_cols = static_cast<int>(std::clamp<std::int64_t>(cols - col0, 0, tile.type.cols));
  const std::size_t es = wsp::size_of(tile.type.dtype);
  const std::byte* base = view.bytes();
  for (int i = 0; i < tile.valid_rows; ++i) {
    const std::byte* src =
        base + ((row0 + i) * rs + std::int64_t{col0} * cs) * static_cast<std::int64_t>(es);
    std::byte* dst =
        tile.data + std::ptrdiff_t{i} * tile.type.cols * static_cast<std::ptrdiff_t>(es);
    if (cs == 1) {
      std::memcpy(dst, src, static_cast<std::size_t>(tile.valid_cols) * es);
    } else {
      for (int j = 0; j < tile.valid_cols; ++j)
        std::memcpy(dst + static_cast<std::size_t>(j) * es,
                    src + j * cs * static_cast<std::int64_t>(es), es);
    }
  }
}

void store_tile(const TileRef& tile, const wsp::Tensor& view, int row0, int col0,
                std::string_view what) {
  if (view.rank() != 1 && view.rank() != 2)
    throw wsp::ExecutionError(
        fmt::format("store {}: the bound view has rank {}; tiles store to "
                    "rank-1 or rank-2 views",
                    what, view.rank()));
  if (view.dtype() != tile.type.dtype)
    throw wsp::ExecutionError(fmt::format("store {}: the bound view is {}, the tile {}", what,
                                          wsp::name_of(view.dtype()), tile.type.to_string()));
  if (!view.writable())
    throw wsp::ExecutionError(fmt::format("store {}: the bound view is read-only", what));
  const std::int64_t rows = view.rank() == 2 ? view.size(0) : 1;
  const std::int64_t cols = view.size(view.rank() - 1);
  const std::int64_t rs = view.rank() == 2 ? view.stride(0) : 0;
  const std::int64_t cs = view.stride(view.rank() - 1);
  const int nr = static_cast<int>(std::clamp<std::int64_t>(rows - row0, 0, tile.valid_rows));
  const int nc = static_cast<int>(std::clamp<std::int64_t>(cols - col0, 0, tile.valid_cols));
  const std::size_t es = wsp::size_of(tile.type.dtype);
  std::byte* base = view.bytes();
  for (int i = 0; i < nr; ++i) {
    std::byte* dst =
        base + ((row0 + i) * rs + std::int64_t{col0} * cs) * static_cast<std::int64_t>(es);
    const std::byte* src =
        tile.data + std::ptrdiff_t{i} * tile.type.cols * static_cast<std::ptrdiff_t>(es);
    if (cs == 1) {
      std::memcpy(dst, src, static_cast<std::size_t>(nc) * es);
    } else {
      for (int j = 0; j < nc; ++j)
        std::memcpy(dst + j * cs * static_cast<std::int64_t>(es),
                    src + static_cast<std::size_t>(j) * es, es);
    }
  }
}

}  // namespace pto::detail
