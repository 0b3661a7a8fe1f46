#include "pto/wsp/tile/program.hpp"

#include <fmt/format.h>

#include <array>

#include "kernels/type_rules.hpp"
#include "pto/wsp/core/error.hpp"

namespace pto {

std::string_view name_of(OpCode op) noexcept {
  static constexpr std::array<std::string_view, kNumOpCodes> kNames = {
      "load",    "store",  "full",   "iota",      "cast",   "add",   "sub",    "mul",     "div",
      "max",     "min",    "exp",    "log",       "sqrt",   "rsqrt", "tanh",   "sigmoid", "relu",
      "gelu",    "silu",   "neg",    "abs",       "sin",    "cos",   "rowsum", "rowmax",  "rowmin",
      "rowmean", "colsum", "colmax", "broadcast", "matmul", "topk",  "sort"};
  const auto i = static_cast<std::size_t>(op);
  return i < kNames.size() ? kNames[i] : "?";
}

bool is_binary(OpCode op) noexcept {
  return op >= OpCode::Add && op <= OpCode::Min;
}
bool is_unary(OpCode op) noexcept {
  return op >= OpCode::Exp && op <= OpCode::Cos;
}
bool is_reduction(OpCode op) noexcept {
  return op >= OpCode::RowSum && op <= OpCode::ColMax;
}

bool TileProgram::uses_matmul() const noexcept {
  for (const Instr& i : body_)
    if (i.op == OpCode::MatMul) return true;
  return false;
}

namespace {
std::string scalar_text(const TileProgram& p, const TileScalar& s) {
  if (s.is_param())
    return fmt::format("${}", p.params()[static_cast<std::size_t>(s.param_index())].name);
  return fmt::format("{}", s.value());
}
}  // namespace

std::string TileProgram::to_string() const {
  std::string out = fmt::format("tile program {}(", name_);
  for (std::size_t i = 0; i < params_.size(); ++i)
    out += fmt::format("{}{}", i ? ", " : "", params_[i].to_string());
  out += ")\n";
  auto v = [&](int id) { return fmt::format("%{}", id); };
  for (const Instr& in : body_) {
    std::string args;
    auto add = [&](const std::string& s) { args += (args.empty() ? "" : ", ") + s; };
    switch (in.op) {
      case OpCode::Load:
      case OpCode::Store:
        add(params_[static_cast<std::size_t>(in.param)].name);
        if (in.op == OpCode::Store) add(v(in.a));
        add(fmt::format("@({}, {})", in.row0, in.col0));
        break;
      case OpCode::Full:
      case OpCode::Iota:
        add(scalar_text(*this, in.scalar));
        break;
      case OpCode::TopK:
        add(v(in.a));
        add(fmt::format("k={}", in.k));
        break;
      default:
        if (in.form == BinaryForm::ScalarLhs && is_binary(in.op))
          add(scalar_text(*this, in.scalar));
        if (in.a >= 0) add(v(in.a));
        if (in.b >= 0) add(v(in.b));
        if (in.c >= 0) add(v(in.c));
        if (in.form == BinaryForm::Scalar && is_binary(in.op)) add(scalar_text(*this, in.scalar));
    }
    if (in.op == OpCode::MatMul && (in.flag_a || in.flag_b))
      add(fmt::format("transpose=({}, {})", in.flag_a, in.flag_b));
    if ((in.op == OpCode::TopK || in.op == OpCode::Sort) && !in.flag_a) add("ascending");
    if (in.result < 0) {
      out += fmt::format("  {} {}\n", name_of(in.op), args);
    } else {
      std::string lhs = v(in.result);
      std::string type = values_[static_cast<std::size_t>(in.result)].to_string();
      if (in.result2 >= 0) {
        lhs += ", " + v(in.result2);
        type += ", " + values_[static_cast<std::size_t>(in.result2)].to_string();
      }
      out += fmt::format("  {} = {} {} : {}\n", lhs, name_of(in.op), args, type);
    }
  }
  return out;
}

ProgramBuilder::ProgramBuilder(std::string name, std::vector<wsp::ParamSpec> params) {
  program_.name_ = std::move(name);
  for (std::size_t i = 0; i < params.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (params[i].name == params[j].name)
        throw wsp::CompileError(fmt::format("tile program {}: parameter '{}' is declared twice",
                                            program_.name_, params[i].name));
  program_.params_ = std::move(params);
}

int ProgramBuilder::param_index(std::string_view param, std::string_view op) const {
  for (std::size_t i = 0; i < program_.params_.size(); ++i)
    if (program_.params_[i].name == param) return static_cast<int>(i);
  std::string known;
  for (const auto& p : program_.params_) known += (known.empty() ? "" : ", ") + p.name;
  throw wsp::TypeCheckError(fmt::format("{} in tile program {}: no parameter '{}' (parameters: {})",
                                        op, program_.name_, param, known));
}

DynTile ProgramBuilder::load(std::string_view param, int rows, int cols, int row0, int col0) {
  const int p = param_index(param, "load");
  const wsp::ParamSpec& spec = program_.params_[static_cast<std::size_t>(p)];
  detail::check_load(spec, row0, col0, "tile program", program_.name_);
  Instr in;
  in.op = OpCode::Load;
  in.param = p;
  in.rows = rows;
  in.cols = cols;
  in.row0 = row0;
  in.col0 = col0;
  in.dtype = *spec.dtype;
  return emit(in, detail::infer_types(in, nullptr, nullptr, nullptr).first);
}

void ProgramBuilder::store(std::string_view param, const DynTile& tile, int row0, int col0) {
  const int p = param_index(param, "store");
  Instr in;
  in.op = OpCode::Store;
  in.param = p;
  in.a = operand(tile, "store");
  in.row0 = row0;
  in.col0 = col0;
  detail::check_store(program_.params_[static_cast<std::size_t>(p)], tile.type(), row0, col0,
                      "tile program", program_.name_);
  program_.body_.push_back(in);
}

TileScalar ProgramBuilder::scalar(std::string_view param) const {
  const int p = param_index(param, "scalar");
  const wsp::ParamSpec& spec = program_.params_[static_cast<std::size_t>(p)];
  if (spec.kind != wsp::ParamKind::Scalar)
    throw wsp::TypeCheckError(fmt::format("scalar in tile program {}: parameter '{}' is a tensor",
                                          program_.name_, spec.name));
  return TileScalar::param(p);
}

int ProgramBuilder::operand(const DynTile& tile, std::string_view op) const {
  if (!tile.defined())
    throw wsp::TypeCheckError(
        fmt::format("{} in tile program {}: an operand is an empty tile", op, program_.name_));
  if (tile.builder() != this)
    throw wsp::TypeCheckError(fmt::format("{} in tile program {}: operand {} is {}", op,
                                          program_.name_, tile.type().to_string(),
                                          tile.traced() ? "a value of another tile program"
                                                        : "a concrete tile, not a program value"));
  return tile.value_id();
}

DynTile ProgramBuilder::emit(Instr instr, TileType result_type) {
  instr.result = static_cast<int>(program_.values_.size());
  program_.values_.push_back(result_type);
  program_.body_.push_back(instr);
  return DynTile::traced_value(this, instr.result, result_type);
}

std::pair<DynTile, DynTile> ProgramBuilder::emit2(Instr instr, TileType t1, TileType t2) {
  instr.result = static_cast<int>(program_.values_.size());
  instr.result2 = instr.result + 1;
  program_.values_.push_back(t1);
  program_.values_.push_back(t2);
  program_.body_.push_back(instr);
  return {DynTile::traced_value(this, instr.result, t1),
          DynTile::traced_value(this, instr.result2, t2)};
}

std::shared_ptr<const TileProgram> ProgramBuilder::build() const {
  return std::make_shared<const TileProgram>(program_);
}

}  // namespace pto
