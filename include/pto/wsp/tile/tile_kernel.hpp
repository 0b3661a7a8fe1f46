// Tile kernels: a kernel body written once against `KernelIO` runs natively on the cpu backend
// and is traced into a TileProgram for its cost and core kind on the NPU model; or a TileProgram
// (e.g. traced from Python) runs through the interpreter. Either is an ordinary wsp::Kernel.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pto/wsp/kernel/kernel.hpp"
#include "pto/wsp/tile/ops.hpp"
#include "pto/wsp/tile/program.hpp"

namespace pto {

/// What a tile kernel body talks to: the task's tensors and scalars when it runs, or the program
/// builder when it is traced. Bodies must not branch on tile data (the trace records one path);
/// they may branch on shapes, which are fixed.
class KernelIO {
 public:
  /// Running on a task's arguments; tiles come from `pool` when given.
  explicit KernelIO(const wsp::TaskArgs& args, TilePool* pool = nullptr)
      : args_(&args), pool_(pool) {}
  /// Tracing into `builder`.
  explicit KernelIO(ProgramBuilder& builder) : builder_(&builder) {}

  bool tracing() const noexcept { return builder_ != nullptr; }

  /// A rows×cols tile of tensor parameter `param` at (row0, col0) of the bound view (rank 1 views
  /// are one row); rows/cols past the view's end are not valid. The tile's dtype is the
  /// parameter's.
  DynTile load(std::string_view param, int rows, int cols, int row0 = 0, int col0 = 0);
  template <int R, int C, DType D>
  Tile<R, C, D> load(std::string_view param, int row0 = 0, int col0 = 0) {
    return Tile<R, C, D>(load(param, R, C, row0, col0));
  }
  /// Writes the valid region of `tile` (clipped to the view) at (row0, col0) of parameter `param`.
  void store(std::string_view param, const DynTile& tile, int row0 = 0, int col0 = 0);
  template <int R, int C, DType D>
  void store(std::string_view param, const Tile<R, C, D>& tile, int row0 = 0, int col0 = 0) {
    store(param, tile.dyn(), row0, col0);
  }
  /// A scalar parameter.
  TileScalar scalar(std::string_view param) const;
  /// Constants that belong to this kernel (traced when tracing).
  DynTile full(TileType type, TileScalar value) const;
  DynTile iota(TileType type, double start = 0.0) const;

 private:
  const wsp::TaskArgs* args_ = nullptr;
  TilePool* pool_ = nullptr;
  ProgramBuilder* builder_ = nullptr;
};

using TileKernelBody = std::function<void(KernelIO&)>;

/// Traces `body` once into a TileProgram (type-checking every op: TypeCheckError here, at
/// declaration) and returns a kernel that runs `body` natively and carries the program, so its
/// cost and core kind on the NPU model come from the kernel itself.
wsp::Kernel make_tile_kernel(std::string name, std::vector<wsp::ParamSpec> params,
                             const TileKernelBody& body);
/// Traces `body` into a program without making a kernel.
std::shared_ptr<const TileProgram> trace_tile_program(std::string name,
                                                      std::vector<wsp::ParamSpec> params,
                                                      const TileKernelBody& body);
/// A kernel that runs `program` through the interpreter.
wsp::Kernel make_program_kernel(std::shared_ptr<const TileProgram> program);

}  // namespace pto
