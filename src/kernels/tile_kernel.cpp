#include "pto/wsp/tile/tile_kernel.hpp"

#include <fmt/format.h>

#include "kernels/apply.hpp"
#include "kernels/tile_access.hpp"
#include "kernels/type_rules.hpp"
#include "pto/wsp/core/error.hpp"
#include "pto/wsp/tile/interpreter.hpp"

namespace pto {
namespace {

const wsp::ParamSpec& spec_of(const wsp::TaskArgs& args, std::string_view param) {
  const int i = args.signature().find(param);
  if (i < 0)
    throw wsp::TypeCheckError(
        fmt::format("kernel {}: no parameter '{}'", args.signature().name(), param));
  return args.signature().params()[static_cast<std::size_t>(i)];
}

}  // namespace

DynTile KernelIO::load(std::string_view param, int rows, int cols, int row0, int col0) {
  if (builder_ != nullptr) return builder_->load(param, rows, cols, row0, col0);
  const wsp::ParamSpec& spec = spec_of(*args_, param);
  detail::check_load(spec, row0, col0, "kernel", args_->signature().name());
  DynTile tile(TileType{rows, cols, *spec.dtype}, pool_);
  detail::TileRef ref = TileAccess::ref(tile);
  detail::load_tile(args_->tensor(param), row0, col0, ref, param);
  TileAccess::set_valid(tile, ref);
  return tile;
}

void KernelIO::store(std::string_view param, const DynTile& tile, int row0, int col0) {
  if (builder_ != nullptr) return builder_->store(param, tile, row0, col0);
  if (tile.traced() || !tile.defined())
    throw wsp::TypeCheckError(fmt::format("store {} in kernel {}: needs a concrete tile", param,
                                          args_->signature().name()));
  detail::check_store(spec_of(*args_, param), tile.type(), row0, col0, "kernel",
                      args_->signature().name());
  detail::store_tile(TileAccess::ref(tile), args_->tensor(param), row0, col0, param);
}

TileScalar KernelIO::scalar(std::string_view param) const {
  if (builder_ != nullptr) return builder_->scalar(param);
  return TileScalar(args_->scalar(param).as_double());
}

DynTile KernelIO::full(TileType type, TileScalar value) const {
  return detail::constant(OpCode::Full, type, value, builder_, pool_);
}

DynTile KernelIO::iota(TileType type, double start) const {
  return detail::constant(OpCode::Iota, type, start, builder_, pool_);
}

std::shared_ptr<const TileProgram> trace_tile_program(std::string name,
                                                      std::vector<wsp::ParamSpec> params,
                                                      const TileKernelBody& body) {
  if (!body) throw wsp::CompileError(fmt::format("tile kernel {}: no body", name));
  ProgramBuilder builder(std::move(name), std::move(params));
  KernelIO io(builder);
  body(io);
  return builder.build();
}

wsp::Kernel make_tile_kernel(std::string name, std::vector<wsp::ParamSpec> params,
                             const TileKernelBody& body) {
  auto program = trace_tile_program(name, params, body);
  wsp::KernelFn fn = [body, pool = TilePool::make()](const wsp::TaskArgs& args) {
    KernelIO io(args, pool.get());
    body(io);
  };
  return wsp::Kernel(wsp::KernelSignature(std::move(name), std::move(params)), std::move(fn),
                     nullptr, std::move(program));
}

wsp::Kernel make_program_kernel(std::shared_ptr<const TileProgram> program) {
  if (!program) throw wsp::CompileError("make_program_kernel: no program");
  auto interpreter = std::make_shared<Interpreter>(program);
  wsp::KernelFn fn = [interpreter](const wsp::TaskArgs& args) { interpreter->run(args); };
  return wsp::Kernel(wsp::KernelSignature(program->name(), program->params()), std::move(fn),
                     nullptr, program);
}

}  // namespace pto
