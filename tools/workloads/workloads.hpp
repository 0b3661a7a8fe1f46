// Ready-made workloads with their data: variable-length attention (the example) and the
// synthetic shapes the CLI, the schedule tests and the benchmarks run.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pto/wsp/wsp.hpp"

namespace pto::wsp::workloads {

/// A workload and everything one execution binds; `outputs` are the tensors it writes.
struct Instance {
  Workload workload;
  Bindings bindings;
  std::vector<std::pair<std::string, Tensor>> outputs;
};

/// Tasks over two axes, b in [0, batch) and t in [0, tasks / batch); each spins for its cost
/// then writes a 4-element tile out[b][t] that depends on its inputs.
///   grid        parallel_for b, t: independent tasks costing cost_us
///   chain       for_each b, for_each t: every task after the previous one; each folds its tile
///               into a running accumulator (order-sensitive)
///   layers      combine(grid of `produce`, grid of `consume`): consume[b][t] reads what
///               produce[b][t] wrote (data dependencies tile by tile, no barrier)
///   imbalanced  grid whose task (b, t) costs cost_us * (1 + 4 * b)
struct SyntheticOptions {
  std::string shape = "grid";
  std::int64_t batch = 4;
  std::int64_t tasks = 64;
  double cost_us = 10.0;
};
/// Throws CompileError naming the bad shape or size.
Instance synthetic(const SyntheticOptions& options);

struct AttentionOptions {
  std::vector<std::int64_t> kv_lengths = {1000, 37, 4096, 513, 64, 2500, 1, 777};
  std::uint32_t seed = 42;
  /// Write the kernels in the tile language (pto::make_tile_kernel) instead of plain C++ with
  /// hand-written cost formulas: the sim then costs them from their tile programs (Q·Kᵀ and P·V
  /// are matmuls, so the online-softmax step runs on cube cores).
  bool tile_kernels = false;
};
inline constexpr std::int64_t kAttentionHeads = 8, kAttentionDim = 64, kAttentionTile = 64;
/// parallel_for b, h: sequential(init, for_each KV tile t: online-softmax step, normalise).
Instance attention(const AttentionOptions& options = {});
/// Largest absolute difference between the instance's output and plain softmax attention.
double attention_max_error(const Instance& instance, const AttentionOptions& options = {});

/// Zeroes every output tensor, so that another execution computes the same results.
void reset_outputs(const Instance& instance);

/// FNV-1a over the bytes of every element (in index order): equal results, equal checksums.
std::uint64_t checksum(const Tensor& t);

}  // namespace pto::wsp::workloads
