// The record of one execution: every task with its queue, stream, worker and timestamps, plus the
// stats; exported as Chrome/Perfetto trace JSON and as a self-contained HTML timeline (DESIGN
// §4.8).
#pragma once

#include <string>
#include <vector>

#include "pto/wsp/program.hpp"

namespace pto::wsp {

struct Trace {
  std::string backend;   ///< "cpu" or "sim": the clock the timestamps are on
  std::string workload;  ///< the workload's type string
  std::string schedule;  ///< Schedule::to_string()
  /// One name per worker track, e.g. "worker 0 (queues 0, 2)".
  std::vector<std::string> worker_names;
  /// The group (trace process, `pid`) of each track, e.g. "AICPU 2" or "vector cores"; tracks
  /// without one share the process named after the backend.
  std::vector<std::string> worker_groups;
  ProgramStats stats;
  std::vector<TaskEvent> tasks;  ///< by id

  /// {"traceEvents":[...], "displayTimeUnit":"ns"}: one complete ("X") event per task with ts/dur
  /// in µs, pid = its worker's group (1, 2, ... in order of first appearance), tid = worker, name =
  /// kernel, args {task, kernel, queue, home_queue, stream, worker, axes, deps, gen_ts, ready_ts,
  /// issue_ts, issue_seq, issue_group, priority}; "M" events naming the process and every worker
  /// track. Extra top-level keys hold the stats, the workload and the schedule.
  std::string chrome_json() const;
  /// A single HTML file (no network access needed): one lane per worker, a colour per kernel,
  /// details on hover, and the stats table.
  std::string html() const;
  /// Write the files; ExecutionError naming the path when it cannot be written.
  void write_chrome_json(const std::string& path) const;
  void write_html(const std::string& path) const;
};

}  // namespace pto::wsp
