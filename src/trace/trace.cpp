// Trace exports: Chrome/Perfetto trace JSON and a self-contained HTML timeline (DESIGN §4.8).
#include "pto/wsp/trace.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <functional>
#include <iterator>
#include <string_view>
#include <system_error>
#include <unordered_map>

#include <fmt/format.h>

#include "pto/wsp/core/error.hpp"
#include "trace/text_format.hpp"
#include "trace/timeline_assets.hpp"

namespace pto::wsp {
namespace {

using trace_text::append_json_string;
using trace_text::append_us;
using trace_text::Buffer;
using trace_text::JsonIn;

/// Receives the export piece by piece: a million-task trace is a few hundred MB, and a file
/// export should not hold it in memory twice.
using Sink = std::function<void(std::string_view)>;
constexpr std::size_t kFlushBytes = std::size_t{1} << 20;

void flush_if_full(Buffer& out, const Sink& sink) {
  if (out.size() >= kFlushBytes) {
    sink(std::string_view(out.data(), out.size()));
    out.clear();
  }
}

void flush(Buffer& out, const Sink& sink) {
  sink(std::string_view(out.data(), out.size()));
  out.clear();
}

/// One name per track: enough tracks for every worker the stats or the tasks mention, named by
/// worker_names where it has a non-empty entry.
std::vector<std::string> track_names(const Trace& t) {
  std::size_t n = std::max(t.worker_names.size(), t.stats.workers.size());
  for (const TaskEvent& e : t.tasks) {
    if (e.worker >= 0) n = std::max(n, static_cast<std::size_t>(e.worker) + 1);
  }
  std::vector<std::string> names(n);
  for (std::size_t w = 0; w < n; ++w) {
    names[w] = w < t.worker_names.size() && !t.worker_names[w].empty()
                   ? t.worker_names[w]
                   : fmt::format("worker {}", w);
  }
  return names;
}

/// The trace process of each track (1-based pid) and the processes' names, in order of first
/// appearance; tracks without a group share a process named after the backend.
struct Groups {
  std::vector<int> pid_of_track;
  std::vector<std::string> names;
};
Groups track_groups(const Trace& t, std::size_t tracks) {
  Groups g;
  const std::string fallback = t.backend.empty() ? std::string("pto-wsp") : t.backend + " backend";
  for (std::size_t w = 0; w < tracks; ++w) {
    const std::string& name =
        w < t.worker_groups.size() && !t.worker_groups[w].empty() ? t.worker_groups[w] : fallback;
    const auto it = std::find(g.names.begin(), g.names.end(), name);
    if (it == g.names.end()) g.names.push_back(name);
    g.pid_of_track.push_back(
        static_cast<int>(std::find(g.names.begin(), g.names.end(), name) - g.names.begin()) + 1);
  }
  if (g.names.empty()) g.names.push_back(fallback);
  return g;
}

// --- Chrome / Perfetto JSON --------------------------------------------------------------------

void append_task_event(Buffer& out, const TaskEvent& e, int pid) {
  const auto app = fmt::appender(out);
  out.append(std::string_view(",\n{\"ph\":\"X\",\"name\":"));
  append_json_string(out, e.kernel);
  out.append(std::string_view(",\"cat\":"));
  append_json_string(out, e.kernel);
  fmt::format_to(app, ",\"pid\":{},\"tid\":{},\"ts\":", pid, e.worker);
  append_us(out, e.start_ns);
  out.append(std::string_view(",\"dur\":"));
  append_us(out, e.end_ns - e.start_ns);
  fmt::format_to(app, ",\"args\":{{\"task\":{},\"node\":{},\"kernel\":", e.id, e.node);
  append_json_string(out, e.kernel);
  fmt::format_to(app, ",\"queue\":{},\"home_queue\":{},\"stream\":{},\"worker\":{},\"axes\":{{",
                 e.queue, e.home_queue, e.stream, e.worker);
  for (std::size_t a = 0; a < e.axes.size(); ++a) {
    if (a > 0) out.push_back(',');
    append_json_string(out, e.axes[a].first);
    fmt::format_to(app, ":{}", e.axes[a].second);
  }
  out.append(std::string_view("},\"deps\":["));
  for (std::size_t d = 0; d < e.deps.size(); ++d) {
    fmt::format_to(app, "{}{}", d > 0 ? "," : "", e.deps[d]);
  }
  out.append(std::string_view("],\"gen_ts\":"));
  append_us(out, e.gen_ns);
  out.append(std::string_view(",\"ready_ts\":"));
  append_us(out, e.ready_ns);
  out.append(std::string_view(",\"issue_ts\":"));
  append_us(out, e.issue_ns);
  out.append(std::string_view(",\"done_ts\":"));
  append_us(out, e.done_ns);
  fmt::format_to(app, ",\"issue_seq\":{},\"issue_group\":{},\"priority\":{}}}}}", e.issue_seq,
                 e.issue_group, e.priority);
}

void emit_chrome_json(const Trace& t, const Sink& sink) {
  Buffer out;
  const auto app = fmt::appender(out);
  // Metadata events come first, so the first process event is always there to follow with ",\n".
  const std::vector<std::string> names = track_names(t);
  const Groups groups = track_groups(t, names.size());
  out.append(std::string_view("{\"traceEvents\":["));
  for (std::size_t g = 0; g < groups.names.size(); ++g) {
    fmt::format_to(app,
                   "{}\n{{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":{},\"tid\":0,"
                   "\"args\":{{\"name\":",
                   g > 0 ? "," : "", g + 1);
    append_json_string(out, groups.names[g]);
    out.append(std::string_view("}}"));
  }
  for (std::size_t w = 0; w < names.size(); ++w) {
    const int pid = groups.pid_of_track[w];
    fmt::format_to(app,
                   ",\n{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":{},\"tid\":{},"
                   "\"args\":{{\"name\":",
                   pid, w);
    append_json_string(out, names[w]);
    fmt::format_to(app,
                   "}}}},\n{{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":{},"
                   "\"tid\":{},\"args\":{{\"sort_index\":{}}}}}",
                   pid, w, w);
  }
  for (const TaskEvent& e : t.tasks) {
    const auto w = static_cast<std::size_t>(e.worker);
    append_task_event(out, e,
                      e.worker >= 0 && w < groups.pid_of_track.size() ? groups.pid_of_track[w] : 1);
    flush_if_full(out, sink);
  }
  out.append(std::string_view("\n],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":{\"backend\":"));
  append_json_string(out, t.backend);
  out.append(std::string_view(",\"workload\":"));
  append_json_string(out, t.workload);
  out.append(std::string_view(",\"schedule\":"));
  append_json_string(out, t.schedule);
  out.append(std::string_view("},\n\"stats\":"));
  trace_text::append_stats_json(out, t.stats);
  out.append(std::string_view("\n}\n"));
  flush(out, sink);
}

// --- HTML timeline -----------------------------------------------------------------------------

constexpr std::string_view kPalette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
                                         "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

/// Tableau 10 first (distinct, colour-blind-friendly), then golden-angle hues; a kernel's colour
/// depends only on its rank among the kernel names.
std::string kernel_color(std::size_t i) {
  constexpr std::size_t kFixed = std::size(kPalette);
  if (i < kFixed) return std::string(kPalette[i]);
  const double hue = static_cast<double>((i - kFixed) * 137508 % 360000) / 1000.0;
  return fmt::format("hsl({:.1f},55%,52%)", hue);
}

/// Small integer ids for strings that repeat across tasks (kernel and axis names), so the
/// embedded data names each once.
class Interner {
 public:
  int id(std::string_view s) {
    const auto [it, added] = ids_.try_emplace(s, static_cast<int>(names_.size()));
    if (added) names_.push_back(s);
    return it->second;
  }
  const std::vector<std::string_view>& names() const { return names_; }

 private:
  std::unordered_map<std::string_view, int> ids_;
  std::vector<std::string_view> names_;
};

void append_json_strings(Buffer& out, const std::vector<std::string_view>& items) {
  out.push_back('[');
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(',');
    append_json_string(out, items[i], JsonIn::HtmlScript);
  }
  out.push_back(']');
}

void append_stats_tables(Buffer& out, const ProgramStats& s) {
  const auto app = fmt::appender(out);
  out.append(std::string_view("<h2>Stats</h2>\n<table class=\"stats\" id=\"stats\">\n"));
  for (const trace_text::StatRow& r : trace_text::stat_rows(s)) {
    out.append(std::string_view("<tr><th>"));
    trace_text::append_html(out, r.label);
    out.append(std::string_view("</th><td class=\"num\">"));
    trace_text::append_html(out, r.value);
    out.append(std::string_view("</td></tr>\n"));
  }
  out.append(std::string_view(
      "</table>\n<h2>Workers</h2>\n<table class=\"workers\" id=\"workers\">\n<tr><th>worker</th>"
      "<th>queues</th><th>tasks</th><th>busy</th><th>utilisation</th></tr>\n"));
  for (std::size_t w = 0; w < s.workers.size(); ++w) {
    const WorkerStats& ws = s.workers[w];
    fmt::format_to(app,
                   "<tr><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td>"
                   "<td class=\"num\">{:.3f} ms</td><td class=\"num\">{:.1f}%</td></tr>\n",
                   w, trace_text::queue_list(ws.queues), ws.tasks,
                   static_cast<double>(ws.busy_ns) / 1e6, 100.0 * ws.utilisation);
  }
  out.append(std::string_view(
      "</table>\n<h2>Kernels</h2>\n<table class=\"kernels\" id=\"kernels\">\n<tr><th>kernel</th>"
      "<th>tasks</th><th>busy</th><th>mean</th></tr>\n"));
  for (const KernelStats& k : s.kernels) {
    out.append(std::string_view("<tr><td>"));
    trace_text::append_html(out, k.kernel);
    fmt::format_to(app,
                   "</td><td class=\"num\">{}</td><td class=\"num\">{:.3f} ms</td>"
                   "<td class=\"num\">{:.1f} ns</td></tr>\n",
                   k.tasks, static_cast<double>(k.busy_ns) / 1e6,
                   static_cast<double>(k.busy_ns) / static_cast<double>(k.tasks));
  }
  out.append(std::string_view("</table>\n"));
}

void emit_html(const Trace& t, const Sink& sink) {
  Buffer out;
  const auto app = fmt::appender(out);

  // Kernels are ranked by name so colours do not change when the task order does.
  Interner kernel_ids;
  for (const TaskEvent& e : t.tasks) kernel_ids.id(e.kernel);
  std::vector<std::string_view> kernels = kernel_ids.names();
  std::sort(kernels.begin(), kernels.end());
  std::unordered_map<std::string_view, int> kernel_rank;
  std::vector<std::string> colors;
  std::vector<std::string_view> color_views;
  for (std::size_t k = 0; k < kernels.size(); ++k) {
    kernel_rank.emplace(kernels[k], static_cast<int>(k));
    colors.push_back(kernel_color(k));
  }
  for (const std::string& c : colors) color_views.push_back(c);

  out.append(
      std::string_view("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"
                       "\n<title>PTO-WSP trace: "));
  trace_text::append_html(out, t.backend);
  fmt::format_to(app, ", {} tasks</title>\n<style>", t.tasks.size());
  out.append(trace_text::kTimelineCss);
  out.append(
      std::string_view("</style>\n</head>\n<body>\n<h1>PTO-WSP trace</h1>\n"
                       "<div class=\"summary\">backend "));
  trace_text::append_html(out, t.backend.empty() ? std::string_view("-") : t.backend);
  fmt::format_to(app, " &middot; {} tasks &middot; makespan {:.3f} ms</div>\n", t.tasks.size(),
                 static_cast<double>(t.stats.makespan_ns) / 1e6);
  out.append(std::string_view(
      "<div class=\"controls\"><button id=\"zoom-in\" title=\"zoom in\">+</button>"
      "<button id=\"zoom-out\" title=\"zoom out\">&minus;</button>"
      "<button id=\"zoom-reset\">reset</button>"
      "<span>wheel: zoom &middot; drag: pan &middot; hover: task details</span></div>\n"
      "<div class=\"legend\" id=\"legend\">"));
  for (std::size_t k = 0; k < kernels.size(); ++k) {
    fmt::format_to(app, "<span><i style=\"background:{}\"></i>", colors[k]);
    trace_text::append_html(out, kernels[k]);
    out.append(std::string_view("</span>"));
  }
  out.append(
      std::string_view("</div>\n<div class=\"wrap\"><canvas id=\"timeline\"></canvas>"
                       "<div class=\"tip\" id=\"tip\"></div></div>\n"));
  append_stats_tables(out, t.stats);
  out.append(std::string_view("<h2>Workload</h2>\n<pre>"));
  trace_text::append_html(out, t.workload);
  out.append(std::string_view("</pre>\n<h2>Schedule</h2>\n<pre>"));
  trace_text::append_html(out, t.schedule);
  out.append(std::string_view("</pre>\n"));

  // The data: names once, then one array per task (field order in timeline_assets.hpp). Times
  // stay integer ns; JavaScript numbers hold them exactly up to 2^53.
  Interner axis_ids;
  out.append(std::string_view("<script>\nconst D = {\"workers\":"));
  const std::vector<std::string> names = track_names(t);
  append_json_strings(out, std::vector<std::string_view>(names.begin(), names.end()));
  out.append(std::string_view(",\n\"kernels\":"));
  append_json_strings(out, kernels);
  out.append(std::string_view(",\n\"colors\":"));
  append_json_strings(out, color_views);
  out.append(std::string_view(",\n\"tasks\":["));
  for (std::size_t i = 0; i < t.tasks.size(); ++i) {
    const TaskEvent& e = t.tasks[i];
    fmt::format_to(app, "{}[{},{},{},{},{},{},{},{},{},{},{},{},{},{},[", i > 0 ? ",\n" : "\n",
                   e.id, kernel_rank.at(e.kernel), e.worker, e.queue, e.home_queue, e.stream,
                   e.issue_seq, e.issue_group, e.priority, e.gen_ns, e.ready_ns, e.issue_ns,
                   e.start_ns, e.end_ns);
    for (std::size_t a = 0; a < e.axes.size(); ++a) {
      fmt::format_to(app, "{}{},{}", a > 0 ? "," : "", axis_ids.id(e.axes[a].first),
                     e.axes[a].second);
    }
    out.append(std::string_view("],["));
    for (std::size_t d = 0; d < e.deps.size(); ++d) {
      fmt::format_to(app, "{}{}", d > 0 ? "," : "", e.deps[d]);
    }
    out.append(std::string_view("]]"));
    flush_if_full(out, sink);
  }
  // Axis names are only known once every task has been written, so they close the object.
  out.append(std::string_view("],\n\"axes\":"));
  append_json_strings(out, axis_ids.names());
  out.append(std::string_view("};\n</script>\n<script>"));
  out.append(trace_text::kTimelineScript);
  out.append(std::string_view("</script>\n</body>\n</html>\n"));
  flush(out, sink);
}

// --- files -------------------------------------------------------------------------------------

/// Writes through `path + ".tmp"` and renames, so a reader never sees half a file and a failed
/// write leaves whatever was at `path` before.
void write_file(const char* what, const std::string& path,
                const std::function<void(const Sink&)>& produce) {
  const std::string tmp = path + ".tmp";
  const auto fail = [&](const std::string& step, int err) {
    return ExecutionError(fmt::format("Trace::{}('{}'): cannot {}: {}", what, path, step,
                                      std::generic_category().message(err)));
  };
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    const int open_err = errno;  // before formatting can overwrite it
    throw fail(fmt::format("create '{}'", tmp), open_err);
  }
  int err = 0;
  try {
    produce([&](std::string_view piece) {
      if (err == 0 && std::fwrite(piece.data(), 1, piece.size(), f) != piece.size()) err = errno;
    });
  } catch (...) {
    std::fclose(f);
    std::remove(tmp.c_str());
    throw;
  }
  if (err == 0 && std::fflush(f) != 0) err = errno;
  if (std::fclose(f) != 0 && err == 0) err = errno;
  if (err != 0) {
    std::remove(tmp.c_str());
    throw fail(fmt::format("write '{}'", tmp), err);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
    std::remove(tmp.c_str());
    throw fail(fmt::format("rename '{}' to it", tmp), err);
  }
}

std::string collect(const std::function<void(const Sink&)>& produce, std::size_t expected) {
  std::string s;
  s.reserve(expected);
  produce([&](std::string_view piece) { s.append(piece); });
  return s;
}

}  // namespace

std::string Trace::chrome_json() const {
  // About 400 bytes per event with a couple of axes and deps.
  return collect([this](const Sink& sink) { emit_chrome_json(*this, sink); },
                 4096 + tasks.size() * 400);
}

std::string Trace::html() const {
  return collect([this](const Sink& sink) { emit_html(*this, sink); }, 32768 + tasks.size() * 100);
}

void Trace::write_chrome_json(const std::string& path) const {
  write_file("write_chrome_json", path,
             [this](const Sink& sink) { emit_chrome_json(*this, sink); });
}

void Trace::write_html(const std::string& path) const {
  write_file("write_html", path, [this](const Sink& sink) { emit_html(*this, sink); });
}

}  // namespace pto::wsp
