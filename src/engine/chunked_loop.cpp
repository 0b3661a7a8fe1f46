// Cutting a loop into chunks, and helpers expanding chunks ahead of the generation role.
#include "engine/chunked_loop.hpp"

#include <algorithm>
#include <limits>

namespace pto::wsp::engine {

ChunkedLoop::ChunkedLoop(const Plan& plan, const BoundValues& values, int node,
                         std::span<const std::int64_t> vars, std::int64_t begin, std::int64_t end,
                         int max_chunks_ahead)
    : plan_(plan),
      values_(values),
      node_(node),
      vars_(vars.begin(), vars.end()),
      next_(begin),
      end_(end),
      max_chunks_(static_cast<std::size_t>(std::max(2, max_chunks_ahead + 1))) {}

std::shared_ptr<ChunkJob> ChunkedLoop::cut_locked() {
  if (next_ >= end_) return nullptr;
  const std::int64_t last = std::min(end_, next_ + chunk_iterations_);
  auto job = std::make_shared<ChunkJob>(plan_, values_, node_, vars_, next_, last);
  next_ = last;
  jobs_.push_back(job);
  return job;
}

std::shared_ptr<ChunkJob> ChunkedLoop::head() {
  std::lock_guard<std::mutex> lock(mu_);
  if (jobs_.empty()) return cut_locked();
  return jobs_.front();
}

void ChunkedLoop::pop_head() {
  std::lock_guard<std::mutex> lock(mu_);
  const ChunkJob& done = *jobs_.front();
  // Aim for ~256 tasks per chunk: enough to amortise a helper's hand-over, small enough to
  // keep the buffers (and the look-ahead) short.
  const std::int64_t per_256 =
      done.tasks > 0 ? 256 * done.iterations / done.tasks : 16 * chunk_iterations_;
  chunk_iterations_ = std::clamp<std::int64_t>(per_256, 1, std::int64_t{1} << 20);
  jobs_.pop_front();
}

bool ChunkedLoop::help() {
  std::shared_ptr<ChunkJob> job;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Never the head (the generation role replays it): the first chunk still open to helpers.
    for (std::size_t k = 1; k < jobs_.size() && !job; ++k) {
      if (!jobs_[k]->claimed && !jobs_[k]->stopped) job = jobs_[k];
    }
    if (!job && jobs_.size() < max_chunks_) {
      if (jobs_.empty()) cut_locked();  // the head, for the role
      job = cut_locked();
    }
    if (!job) return false;
    job->claimed = true;
  }
  bool stopped = false;
  {
    std::lock_guard<std::mutex> lock(job->mu);
    try {
      job->generator.run(*job, std::numeric_limits<std::int64_t>::max());
    } catch (...) {
      job->error = std::current_exception();  // replayed in order by the generation role
    }
    stopped = job->error || job->generator.done() || !job->has_room();
  }
  std::lock_guard<std::mutex> lock(mu_);
  job->claimed = false;
  job->stopped = stopped;
  return true;
}

}  // namespace pto::wsp::engine
