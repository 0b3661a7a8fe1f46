// The machine the sim backend simulates (DESIGN §4.9): a host, AICPU scheduler cores (one per
// dispatch queue by default), cube and vector cores, and the latencies and per-task costs that
// connect them. Read from and written to JSON; every default and its source is in docs/sim.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "pto/wsp/kernel/kernel.hpp"
#include "pto/wsp/tile/cost.hpp"

namespace pto::wsp {

/// A measured per-task cost of a kernel (what `pto-wsp calibrate` writes), used when the kernel
/// declares no cost function.
struct MeasuredCost {
  CoreKind core = CoreKind::Vector;
  double ns = 0.0;
};

struct Machine {
  std::string name = "ascend-910b-like";
  double clock_ghz = 1.8;  ///< core clock: KernelCost::cycles / clock_ghz = ns
  int aicpus = 4;          ///< scheduler cores; dispatch queue q is served by AICPU q mod aicpus
  int cube_cores = 24;     ///< run kernels whose cost says CoreKind::Cube (matmul)
  int vector_cores = 48;   ///< run the others
  /// "shared": any AICPU issues to any free core; "split": core i of a kind belongs to AICPU
  /// i mod aicpus.
  std::string partition = "shared";
  std::int64_t host_to_aicpu_ns = 3000;   ///< a generated task reaches its AICPU
  std::int64_t host_to_core_ns = 3000;    ///< launch: cores start taking work this late
  std::int64_t aicpu_to_core_ns = 0;      ///< a dispatched task reaches its core
  std::int64_t aicpu_dispatch_ns = 200;   ///< AICPU time to dispatch one task
  std::int64_t aicpu_complete_ns = 300;   ///< AICPU time to retire one task (dependants, window)
  std::int64_t completion_poll_ns = 100;  ///< a finished task is noticed by its AICPU this late
  std::int64_t host_task_ns = 250;        ///< host time to generate and track one task
  /// Cold start: a task whose value of `cold_start_axis` differs from the previous task's on the
  /// same core pays `cold_start_ns` first (its batch's data is not in the core's buffers yet).
  /// Empty axis: no cold starts.
  std::string cold_start_axis;
  std::int64_t cold_start_ns = 0;
  /// Global memory (HBM) bandwidth shared by all cores, bytes per ns (1600: the 910B's 1.6 TB/s).
  /// Tile kernels' loads and stores queue for it; 0: not modelled (each core then moves data at
  /// its own `tile_costs.gm_bytes_per_cycle`, whatever the others do). Optional in a description.
  double hbm_bytes_per_ns = 1600;
  /// What tile ops cost on this machine's cores: the cost of tile kernels (docs/tile.md).
  /// Optional in a description (defaults then); when present every field must be.
  pto::TileCostModel tile_costs;
  /// Per-kernel measured costs, by kernel name.
  std::map<std::string, MeasuredCost, std::less<>> kernels;

  /// The default machine: 1 host + 4 AICPU + 24 cube + 48 vector cores, 910B-class figures.
  static Machine defaults() { return Machine{}; }
  /// Parses a description. Every field above must be present except cold_start_*,
  /// hbm_bytes_per_ns, tile_costs and kernels;
  /// unknown keys, wrong types, counts < 1, negative times or bandwidth, or clock ≤ 0 raise
  /// CompileError naming the field (and `where`, e.g. the file).
  static Machine from_json(std::string_view text, std::string_view where = "machine description");
  static Machine load(const std::string& path);
  /// Checks a machine built in code as `from_json` checks a description (counts ≥ 1, times ≥ 0,
  /// clock > 0, a finite HBM bandwidth ≥ 0, a known partition with at least one core of each kind
  /// per AICPU when split, measured costs ≥ 0); raises CompileError naming `where` and the field.
  /// The sim backend calls it on CompileOptions::machine.
  void validate(std::string_view where) const;
  std::string to_json() const;
  /// Nanoseconds of `cycles` at this machine's clock.
  double ns(double cycles) const noexcept { return cycles / clock_ghz; }
};

}  // namespace pto::wsp
