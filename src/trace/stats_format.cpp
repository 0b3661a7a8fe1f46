// ProgramStats as a human-readable table and as one JSON object.
#include <algorithm>
#include <iterator>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "pto/wsp/program.hpp"
#include "trace/text_format.hpp"

namespace pto::wsp {
namespace trace_text {
namespace {

std::string ms(std::int64_t ns) {
  return fmt::format("{:.3f} ms", static_cast<double>(ns) / 1e6);
}

}  // namespace

std::vector<StatRow> stat_rows(const ProgramStats& s) {
  return {
      {"backend", s.backend.empty() ? std::string("-") : s.backend},
      {"tasks", fmt::to_string(s.tasks)},
      {"queues", fmt::to_string(s.queues)},
      {"makespan", ms(s.makespan_ns)},
      {"generation", ms(s.generation_ns)},
      {"validation", ms(s.validation_ns)},
      {"scheduling", ms(s.scheduling_ns)},
      {"scheduling per task", fmt::format("{:.1f} ns", s.scheduling_ns_per_task)},
      {"idle", ms(s.idle_ns)},
      {"window size", fmt::to_string(s.window_size)},
      {"window stalls", fmt::to_string(s.window_stalls)},
      {"window stall time", ms(s.window_stall_ns)},
      {"window high water", fmt::to_string(s.window_high_water)},
      {"critical path", ms(s.critical_path_ns)},
      {"stolen", fmt::to_string(s.stolen)},
      {"memory wait", ms(s.memory_wait_ns)},
      {"helper chunks", fmt::to_string(s.helper_chunks)},
  };
}

void append_stats_json(Buffer& out, const ProgramStats& s) {
  const auto key = [&](std::string_view name) {
    append_json_string(out, name);
    out.push_back(':');
  };
  const auto integer = [&](std::string_view name, std::int64_t v) {
    key(name);
    fmt::format_to(fmt::appender(out), "{},", v);
  };
  out.push_back('{');
  key("backend");
  append_json_string(out, s.backend);
  out.push_back(',');
  integer("tasks", s.tasks);
  integer("queues", s.queues);
  integer("makespan_ns", s.makespan_ns);
  integer("generation_ns", s.generation_ns);
  integer("validation_ns", s.validation_ns);
  integer("scheduling_ns", s.scheduling_ns);
  key("scheduling_ns_per_task");
  append_json_number(out, s.scheduling_ns_per_task);
  out.push_back(',');
  integer("idle_ns", s.idle_ns);
  integer("helper_chunks", s.helper_chunks);
  integer("window_size", s.window_size);
  integer("window_stalls", s.window_stalls);
  integer("window_stall_ns", s.window_stall_ns);
  integer("window_high_water", s.window_high_water);
  integer("critical_path_ns", s.critical_path_ns);
  integer("stolen", s.stolen);
  integer("memory_wait_ns", s.memory_wait_ns);
  key("workers");
  out.push_back('[');
  for (std::size_t w = 0; w < s.workers.size(); ++w) {
    const WorkerStats& ws = s.workers[w];
    if (w > 0) out.push_back(',');
    out.append(std::string_view("{\"name\":"));
    append_json_string(out, ws.name);
    fmt::format_to(fmt::appender(out), ",\"tasks\":{},\"busy_ns\":{},\"utilisation\":", ws.tasks,
                   ws.busy_ns);
    append_json_number(out, ws.utilisation);
    out.append(std::string_view(",\"queues\":["));
    for (std::size_t q = 0; q < ws.queues.size(); ++q) {
      fmt::format_to(fmt::appender(out), "{}{}", q > 0 ? "," : "", ws.queues[q]);
    }
    out.append(std::string_view("]}"));
  }
  out.append(std::string_view("],"));
  key("kernels");
  out.push_back('[');
  for (std::size_t k = 0; k < s.kernels.size(); ++k) {
    if (k > 0) out.push_back(',');
    out.append(std::string_view("{\"kernel\":"));
    append_json_string(out, s.kernels[k].kernel);
    fmt::format_to(fmt::appender(out), ",\"tasks\":{},\"busy_ns\":{}}}", s.kernels[k].tasks,
                   s.kernels[k].busy_ns);
  }
  out.append(std::string_view("]}"));
}

}  // namespace trace_text

std::string ProgramStats::to_string() const {
  // Labels are right-aligned against the values, so every line reads "label value" with one
  // space ("tasks 6") and the values still start in one column.
  const std::vector<trace_text::StatRow> rows = trace_text::stat_rows(*this);
  std::size_t label_width = 0;
  for (const auto& r : rows) label_width = std::max(label_width, r.label.size());
  std::string out;
  for (const auto& r : rows) {
    fmt::format_to(std::back_inserter(out), "{:>{}} {}\n", r.label, label_width, r.value);
  }

  // Worker lines: pad each column to its widest entry so the columns line up.
  std::size_t id_w = 1, queues_w = 1, tasks_w = 1, busy_w = 1;
  std::vector<std::string> queue_lists, busy, names;
  for (std::size_t w = 0; w < workers.size(); ++w) {
    queue_lists.push_back(trace_text::queue_list(workers[w].queues));
    busy.push_back(fmt::format("{:.3f}", static_cast<double>(workers[w].busy_ns) / 1e6));
    names.push_back(workers[w].name.empty() ? fmt::format("worker {}", w) : workers[w].name);
    id_w = std::max(id_w, names.back().size());
    queues_w = std::max(queues_w, queue_lists.back().size());
    tasks_w = std::max(tasks_w, fmt::formatted_size("{}", workers[w].tasks));
    busy_w = std::max(busy_w, busy.back().size());
  }
  for (std::size_t w = 0; w < workers.size(); ++w) {
    fmt::format_to(std::back_inserter(out),
                   "{:<{}}  queues {:<{}}  tasks {:>{}}  busy {:>{}} ms  util {:.1f}%\n", names[w],
                   id_w, queue_lists[w], queues_w, workers[w].tasks, tasks_w, busy[w], busy_w,
                   100.0 * workers[w].utilisation);
  }
  std::size_t kernel_w = 1, ktasks_w = 1;
  for (const KernelStats& k : kernels) {
    kernel_w = std::max(kernel_w, k.kernel.size());
    ktasks_w = std::max(ktasks_w, fmt::formatted_size("{}", k.tasks));
  }
  for (const KernelStats& k : kernels) {
    fmt::format_to(std::back_inserter(out),
                   "kernel {:<{}}  tasks {:>{}}  busy {:.3f} ms  mean {:.1f} ns\n", k.kernel,
                   kernel_w, k.tasks, ktasks_w, static_cast<double>(k.busy_ns) / 1e6,
                   static_cast<double>(k.busy_ns) / static_cast<double>(k.tasks));
  }
  out.pop_back();  // no trailing newline, like every other to_string()
  return out;
}

std::string ProgramStats::to_json() const {
  trace_text::Buffer out;
  trace_text::append_stats_json(out, *this);
  return fmt::to_string(out);
}

}  // namespace pto::wsp
