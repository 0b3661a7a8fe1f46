// Machine descriptions: strict JSON parsing (every field named in errors) and writing.
#include "pto/wsp/sim/machine.hpp"

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "pto/wsp/core/error.hpp"

namespace pto::wsp {
namespace {

using json = nlohmann::json;

class Reader {
 public:
  Reader(const json& j, std::string_view where) : j_(j), where_(where) {}

  const json& field(const char* key, bool required = true) {
    seen_.insert(key);
    if (!j_.contains(key)) {
      if (required) fail(key, "is missing");
      return null_;
    }
    return j_.at(key);
  }
  std::int64_t integer(const char* key) {
    const json& v = field(key);
    if (!v.is_number_integer()) fail(key, fmt::format("must be an integer, got {}", v.dump()));
    return v.get<std::int64_t>();
  }
  std::int64_t integer(const char* key, std::int64_t min) {
    const std::int64_t x = integer(key);
    if (x < min) fail(key, fmt::format("must be at least {}, got {}", min, x));
    return x;
  }
  double number(const char* key) {
    const json& v = field(key);
    if (!v.is_number()) fail(key, fmt::format("must be a number, got {}", v.dump()));
    return v.get<double>();
  }
  double positive(const char* key) {
    const double x = number(key);
    if (!(x > 0.0)) fail(key, fmt::format("must be positive, got {}", x));
    return x;
  }
  double non_negative(const char* key) {
    const double x = number(key);
    if (!(x >= 0.0)) fail(key, fmt::format("must be at least 0, got {}", x));
    return x;
  }
  std::string text(const char* key, bool required = true) {
    const json& v = field(key, required);
    if (v.is_null() && !required) return {};
    if (!v.is_string()) fail(key, fmt::format("must be a string, got {}", v.dump()));
    return v.get<std::string>();
  }
  void no_unknown_keys() {
    for (const auto& [k, v] : j_.items()) {
      if (!seen_.count(k)) {
        throw CompileError(fmt::format("{}: unknown field '{}'", where_, k));
      }
    }
  }
  [[noreturn]] void fail(std::string_view key, const std::string& what) const {
    throw CompileError(fmt::format("{}: field '{}' {}", where_, key, what));
  }

 private:
  const json& j_;
  std::string_view where_;
  std::set<std::string, std::less<>> seen_;
  json null_;
};

CoreKind core_kind(const std::string& s, Reader& r, const std::string& key) {
  if (s == "vector") return CoreKind::Vector;
  if (s == "cube") return CoreKind::Cube;
  r.fail(key, fmt::format("must be \"vector\" or \"cube\", got \"{}\"", s));
}

pto::TileCostModel read_tile_costs(const json& v, const std::string& where) {
  if (!v.is_object()) throw CompileError(fmt::format("{} must be an object", where));
  Reader r(v, where);
  pto::TileCostModel t;
  t.vector_bytes_per_cycle = r.positive("vector_bytes_per_cycle");
  t.vector_startup_cycles = r.non_negative("vector_startup_cycles");
  t.transcendental_cycles = r.positive("transcendental_cycles");
  t.reduce_cycles_per_row = r.non_negative("reduce_cycles_per_row");
  // A cube dimension beyond 4096 is no cube anyone builds (and would not fit an int for long).
  const auto cube_dim = [&](const char* key) {
    const std::int64_t dim = r.integer(key, 1);
    if (dim > 4096) r.fail(key, fmt::format("must be at most 4096, got {}", dim));
    return static_cast<int>(dim);
  };
  t.cube_m = cube_dim("cube_m");
  t.cube_n = cube_dim("cube_n");
  t.cube_k = cube_dim("cube_k");
  t.cube_f32_factor = r.positive("cube_f32_factor");
  t.cube_startup_cycles = r.non_negative("cube_startup_cycles");
  t.gm_bytes_per_cycle = r.positive("gm_bytes_per_cycle");
  t.gm_latency_cycles = r.non_negative("gm_latency_cycles");
  t.sort_cycles_per_pass = r.positive("sort_cycles_per_pass");
  r.no_unknown_keys();
  return t;
}

json write_tile_costs(const pto::TileCostModel& t) {
  return {{"vector_bytes_per_cycle", t.vector_bytes_per_cycle},
          {"vector_startup_cycles", t.vector_startup_cycles},
          {"transcendental_cycles", t.transcendental_cycles},
          {"reduce_cycles_per_row", t.reduce_cycles_per_row},
          {"cube_m", t.cube_m},
          {"cube_n", t.cube_n},
          {"cube_k", t.cube_k},
          {"cube_f32_factor", t.cube_f32_factor},
          {"cube_startup_cycles", t.cube_startup_cycles},
          {"gm_bytes_per_cycle", t.gm_bytes_per_cycle},
          {"gm_latency_cycles", t.gm_latency_cycles},
          {"sort_cycles_per_pass", t.sort_cycles_per_pass}};
}

}  // namespace

Machine Machine::from_json(std::string_view text, std::string_view where) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw CompileError(fmt::format("{}: not valid JSON: {}", where, e.what()));
  }
  if (!j.is_object()) throw CompileError(fmt::format("{}: must be a JSON object", where));
  Reader r(j, where);
  Machine m;
  m.name = r.text("name");
  // Types here; the values' ranges are checked once, by validate() below.
  m.clock_ghz = r.number("clock_ghz");
  m.aicpus = static_cast<int>(r.integer("aicpus"));
  m.cube_cores = static_cast<int>(r.integer("cube_cores"));
  m.vector_cores = static_cast<int>(r.integer("vector_cores"));
  m.partition = r.text("partition");
  m.host_to_aicpu_ns = r.integer("host_to_aicpu_ns");
  m.host_to_core_ns = r.integer("host_to_core_ns");
  m.aicpu_to_core_ns = r.integer("aicpu_to_core_ns");
  m.aicpu_dispatch_ns = r.integer("aicpu_dispatch_ns");
  m.aicpu_complete_ns = r.integer("aicpu_complete_ns");
  m.completion_poll_ns = r.integer("completion_poll_ns");
  m.host_task_ns = r.integer("host_task_ns");
  m.cold_start_axis = r.text("cold_start_axis", false);
  if (j.contains("cold_start_ns")) m.cold_start_ns = r.integer("cold_start_ns");
  if (j.contains("hbm_bytes_per_ns")) m.hbm_bytes_per_ns = r.number("hbm_bytes_per_ns");
  const json& kernels = r.field("kernels", false);
  if (!kernels.is_null()) {
    if (!kernels.is_object()) r.fail("kernels", "must be an object of kernel name -> cost");
    for (const auto& [name, v] : kernels.items()) {
      const std::string where_k = fmt::format("{}: kernels.{}", where, name);
      if (!v.is_object()) throw CompileError(fmt::format("{} must be an object", where_k));
      Reader kr(v, where_k);
      MeasuredCost c;
      c.core = core_kind(kr.text("core"), kr, "core");
      c.ns = kr.number("ns");
      kr.no_unknown_keys();
      m.kernels.emplace(name, c);
    }
  }
  if (j.contains("tile_costs"))  // when present (even null), it must be a complete object
    m.tile_costs = read_tile_costs(r.field("tile_costs"), fmt::format("{}: tile_costs", where));
  r.no_unknown_keys();
  m.validate(where);
  return m;
}

void Machine::validate(std::string_view where) const {
  const auto fail = [&](std::string_view field, const std::string& what) {
    throw CompileError(fmt::format("{}: field '{}' {}", where, field, what));
  };
  if (!(clock_ghz > 0.0)) fail("clock_ghz", fmt::format("must be positive, got {}", clock_ghz));
  const std::pair<const char*, int> counts[] = {
      {"aicpus", aicpus}, {"cube_cores", cube_cores}, {"vector_cores", vector_cores}};
  for (const auto& [field, n] : counts) {
    if (n < 1) fail(field, fmt::format("must be at least 1, got {}", n));
  }
  const std::pair<const char*, std::int64_t> times[] = {
      {"host_to_aicpu_ns", host_to_aicpu_ns},   {"host_to_core_ns", host_to_core_ns},
      {"aicpu_to_core_ns", aicpu_to_core_ns},   {"aicpu_dispatch_ns", aicpu_dispatch_ns},
      {"aicpu_complete_ns", aicpu_complete_ns}, {"completion_poll_ns", completion_poll_ns},
      {"host_task_ns", host_task_ns},           {"cold_start_ns", cold_start_ns}};
  for (const auto& [field, t] : times) {
    if (t < 0) fail(field, fmt::format("must be at least 0, got {}", t));
  }
  if (partition != "shared" && partition != "split") {
    fail("partition", fmt::format("must be \"shared\" or \"split\", got \"{}\"", partition));
  }
  if (partition == "split" && (cube_cores < aicpus || vector_cores < aicpus)) {
    fail("partition", fmt::format("\"split\" needs at least one core of each kind per AICPU "
                                  "({} AICPUs, {} cube, {} vector)",
                                  aicpus, cube_cores, vector_cores));
  }
  if (!(std::isfinite(hbm_bytes_per_ns) && hbm_bytes_per_ns >= 0.0)) {
    fail("hbm_bytes_per_ns",
         fmt::format("must be finite and at least 0 (0: not modelled), got {}", hbm_bytes_per_ns));
  }
  for (const auto& [kernel, c] : kernels) {
    if (!(c.ns >= 0.0)) {
      fail(fmt::format("kernels.{}.ns", kernel), fmt::format("must be at least 0, got {}", c.ns));
    }
  }
}

Machine Machine::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw CompileError(fmt::format("machine description '{}': cannot be read", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return from_json(ss.str(), fmt::format("machine description '{}'", path));
}

std::string Machine::to_json() const {
  json j = {{"name", name},
            {"clock_ghz", clock_ghz},
            {"aicpus", aicpus},
            {"cube_cores", cube_cores},
            {"vector_cores", vector_cores},
            {"partition", partition},
            {"host_to_aicpu_ns", host_to_aicpu_ns},
            {"host_to_core_ns", host_to_core_ns},
            {"aicpu_to_core_ns", aicpu_to_core_ns},
            {"aicpu_dispatch_ns", aicpu_dispatch_ns},
            {"aicpu_complete_ns", aicpu_complete_ns},
            {"completion_poll_ns", completion_poll_ns},
            {"host_task_ns", host_task_ns},
            {"hbm_bytes_per_ns", hbm_bytes_per_ns}};
  if (!cold_start_axis.empty()) {
    j["cold_start_axis"] = cold_start_axis;
    j["cold_start_ns"] = cold_start_ns;
  }
  if (!kernels.empty()) {
    json k = json::object();
    for (const auto& [kernel, c] : kernels) {
      k[kernel] = {{"core", to_string(c.core)}, {"ns", c.ns}};
    }
    j["kernels"] = k;
  }
  j["tile_costs"] = write_tile_costs(tile_costs);
  return j.dump(2);
}

}  // namespace pto::wsp
