// Tile ops: per-op throughput against the memory bandwidth measured in the same run (a memcpy of
// the same bytes), matmul against single-threaded OpenBLAS sgemm, and the interpreter against
// the native C++ kernel for rmsnorm and softmax tiles.
//
//   build/bench/bench_tile --benchmark_min_time=0.2 --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true
// Counters: bytes_per_second (elementwise/reductions: bytes read + written), FLOPS (matmul).
#include <benchmark/benchmark.h>

#include <cblas.h>

#include <cstring>
#include <random>
#include <vector>

#include "kernels/compute.hpp"
#include "pto/wsp/tile/interpreter.hpp"
#include "pto/wsp/tile/library.hpp"

namespace {

using pto::DType;
using pto::Instr;
using pto::OpCode;
using pto::TileType;
using pto::detail::TileRef;

/// A tile's storage for the benchmarks, filled with values in [lo, hi].
struct Buffer {
  std::vector<float> data;
  TileRef ref;
  Buffer(int rows, int cols, float lo = -2, float hi = 2, std::uint32_t seed = 1)
      : data(static_cast<std::size_t>(rows) * cols) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(lo, hi);
    for (float& x : data) x = d(rng);
    ref = TileRef{reinterpret_cast<std::byte*>(data.data()), TileType{rows, cols, DType::f32}, rows,
                  cols};
  }
};

const std::vector<std::pair<int, int>> kShapes = {{16, 128}, {64, 256}, {128, 512}, {256, 1024}};

void shapes(benchmark::internal::Benchmark* b) {
  for (auto [r, c] : kShapes) b->Args({r, c});
}

// The reference: copying the tile's bytes (read + write), the bandwidth an op moving the same
// bytes could reach.
void BM_Memcpy(benchmark::State& state) {
  const int rows = static_cast<int>(state.range(0)), cols = static_cast<int>(state.range(1));
  Buffer a(rows, cols), r(rows, cols);
  for (auto _ : state) {
    std::memcpy(r.data.data(), a.data.data(), a.data.size() * sizeof(float));
    benchmark::DoNotOptimize(r.data.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * 2 * static_cast<std::int64_t>(a.data.size()) * 4);
}
BENCHMARK(BM_Memcpy)->Apply(shapes);

/// One op on f32 tiles through the shared compute() (as the interpreter and the eager ops run it).
void run_op(benchmark::State& state, OpCode op, bool binary, pto::BinaryForm form, int reads,
            int writes_rows_cols) {
  const int rows = static_cast<int>(state.range(0)), cols = static_cast<int>(state.range(1));
  Buffer a(rows, cols, -2, 2, 1), b(rows, cols, 0.5f, 2, 2);
  const bool reduce = pto::is_reduction(op);
  Buffer r(reduce ? rows : rows, reduce ? 1 : cols);
  Instr in;
  in.op = op;
  in.form = form;
  pto::detail::Scratch scratch;
  for (auto _ : state) {
    pto::detail::compute(in, &a.ref, binary ? &b.ref : nullptr, nullptr, r.ref, nullptr, 1.5,
                         scratch);
    benchmark::DoNotOptimize(r.data.data());
    benchmark::ClobberMemory();
  }
  const std::int64_t elems = std::int64_t{rows} * cols;
  state.SetBytesProcessed(state.iterations() * 4 *
                          (reads * elems + (writes_rows_cols ? elems : rows)));
}

void BM_Add(benchmark::State& s) {
  run_op(s, OpCode::Add, true, pto::BinaryForm::Full, 2, 1);
}
void BM_MulScalar(benchmark::State& s) {
  run_op(s, OpCode::Mul, false, pto::BinaryForm::Scalar, 1, 1);
}
void BM_RowMul(benchmark::State& s) {
  // b is read as an R×1 column: only its first column matters.
  run_op(s, OpCode::Mul, true, pto::BinaryForm::PerRow, 1, 1);
}
void BM_Max(benchmark::State& s) {
  run_op(s, OpCode::Max, true, pto::BinaryForm::Full, 2, 1);
}
void BM_Exp(benchmark::State& s) {
  run_op(s, OpCode::Exp, false, pto::BinaryForm::Full, 1, 1);
}
void BM_Sqrt(benchmark::State& s) {
  run_op(s, OpCode::Sqrt, false, pto::BinaryForm::Full, 1, 1);
}
void BM_Gelu(benchmark::State& s) {
  run_op(s, OpCode::Gelu, false, pto::BinaryForm::Full, 1, 1);
}
void BM_RowSum(benchmark::State& s) {
  run_op(s, OpCode::RowSum, false, pto::BinaryForm::Full, 1, 0);
}
void BM_RowMax(benchmark::State& s) {
  run_op(s, OpCode::RowMax, false, pto::BinaryForm::Full, 1, 0);
}
BENCHMARK(BM_Add)->Apply(shapes);
BENCHMARK(BM_MulScalar)->Apply(shapes);
BENCHMARK(BM_RowMul)->Apply(shapes);
BENCHMARK(BM_Max)->Apply(shapes);
BENCHMARK(BM_Exp)->Apply(shapes);
BENCHMARK(BM_Sqrt)->Apply(shapes);
BENCHMARK(BM_Gelu)->Apply(shapes);
BENCHMARK(BM_RowSum)->Apply(shapes);
BENCHMARK(BM_RowMax)->Apply(shapes);

// --- matmul
// ---------------------------------------------------------------------------------------

void matmul_sizes(benchmark::internal::Benchmark* b) {
  for (int n : {4, 8, 12, 16, 24, 32, 48, 64, 128, 256}) b->Args({n, n, n});
  b->Args({16, 128, 128});   // a 16-row tile times a 128x128 weight
  b->Args({256, 1024, 64});  // a tall, thin product
}

void set_flops(benchmark::State& state, int m, int k, int n) {
  state.counters["FLOPS"] = benchmark::Counter(
      2.0 * m * n * k * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// Ours: compute() picks Eigen below kBlasMinMacs and OpenBLAS above.
void BM_Matmul(benchmark::State& state) {
  const int m = static_cast<int>(state.range(0)), k = static_cast<int>(state.range(1)),
            n = static_cast<int>(state.range(2));
  Buffer a(m, k), b(k, n), r(m, n);
  Instr in;
  in.op = OpCode::MatMul;
  pto::detail::Scratch scratch;
  for (auto _ : state) {
    pto::detail::compute(in, &a.ref, &b.ref, nullptr, r.ref, nullptr, 0.0, scratch);
    benchmark::DoNotOptimize(r.data.data());
  }
  set_flops(state, m, k, n);
}
BENCHMARK(BM_Matmul)->Apply(matmul_sizes);

extern "C" void openblas_set_num_threads(int num_threads);

// The peer: OpenBLAS sgemm, the build the library links, on one thread as the library uses it.
void BM_Sgemm(benchmark::State& state) {
  openblas_set_num_threads(1);
  const int m = static_cast<int>(state.range(0)), k = static_cast<int>(state.range(1)),
            n = static_cast<int>(state.range(2));
  Buffer a(m, k), b(k, n), r(m, n);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a.data.data(), k,
                b.data.data(), n, 0.0f, r.data.data(), n);
    benchmark::DoNotOptimize(r.data.data());
  }
  set_flops(state, m, k, n);
}
BENCHMARK(BM_Sgemm)->Apply(matmul_sizes);

// --- interpreter vs native
// --------------------------------------------------------------------------

struct KernelCall {
  pto::wsp::KernelSignature sig;
  std::vector<pto::wsp::Tensor> tensors;
  std::vector<pto::wsp::ScalarValue> scalars;
};

KernelCall softmax_call(const pto::wsp::Kernel& k, int rows, int cols) {
  auto x = pto::wsp::Tensor::zeros(DType::f32, {rows, cols});
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> d(-3, 3);
  for (std::int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = d(rng);
  return {k.signature(),
          {x, pto::wsp::Tensor::zeros(DType::f32, {rows, cols}), {}},
          {{}, {}, pto::wsp::ScalarValue{true, 0, 0.125}}};
}

KernelCall rmsnorm_call(const pto::wsp::Kernel& k, int rows, int cols) {
  KernelCall c = softmax_call(k, rows, cols);
  auto g = pto::wsp::Tensor::zeros(DType::f32, {cols});
  for (int i = 0; i < cols; ++i) g.data<float>()[i] = 1.0f + 0.01f * static_cast<float>(i % 7);
  return {k.signature(),
          {c.tensors[0], g, c.tensors[1], {}},
          {{}, {}, {}, pto::wsp::ScalarValue{true, 0, 1e-5}}};
}

template <bool kInterpreted, bool kSoftmax>
void BM_Kernel(benchmark::State& state) {
  const int rows = static_cast<int>(state.range(0)), cols = static_cast<int>(state.range(1));
  const pto::wsp::Kernel k =
      kSoftmax ? (kInterpreted ? pto::make_program_kernel(pto::lib::softmax_program(rows, cols))
                               : pto::lib::softmax(rows, cols))
               : (kInterpreted ? pto::make_program_kernel(pto::lib::rmsnorm_program(rows, cols))
                               : pto::lib::rmsnorm(rows, cols));
  const KernelCall call = kSoftmax ? softmax_call(k, rows, cols) : rmsnorm_call(k, rows, cols);
  const pto::wsp::TaskArgs args(call.sig, call.tensors, call.scalars, {});
  for (auto _ : state) {
    k.fn()(args);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_Kernel<false, true>)->Name("BM_SoftmaxNative")->Apply(shapes);
BENCHMARK(BM_Kernel<true, true>)->Name("BM_SoftmaxInterpreted")->Apply(shapes);
BENCHMARK(BM_Kernel<false, false>)->Name("BM_RmsnormNative")->Apply(shapes);
BENCHMARK(BM_Kernel<true, false>)->Name("BM_RmsnormInterpreted")->Apply(shapes);

}  // namespace

BENCHMARK_MAIN();
