#pragma once
// Hands results produced on other threads (the pipeline's writer) to the io threads in batches.
//
// The writer finishes a group commit of many reports at once. Posting each report's completion
// to the io_context separately woke the io thread again and again (an epoll interrupt per post
// that found it back in epoll_wait, and lock hand-offs in between): about 2.3 wake-ups and 5.7
// futex calls per commit on the writer. Here the completions of one commit cost one post; the
// io thread then resumes each request's coroutine from its own queue, without system calls.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>

#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace sakchy::service {

class CompletionInbox {
 public:
  explicit CompletionInbox(boost::asio::any_io_executor io) : io_(std::move(io)) {}
  CompletionInbox(const CompletionInbox&) = delete;
  CompletionInbox& operator=(const CompletionInbox&) = delete;

  // Any thread. `fn` runs on an io thread, after the completions pushed before it.
  void Push(std::function<void()> fn) {
    bool schedule = false;
    {
      std::lock_guard lock(mu_);
      items_.push_back(std::move(fn));
      schedule = !scheduled_;
      scheduled_ = true;
    }
    if (schedule) boost::asio::post(io_, [this] { Drain(); });
  }

 private:
  // With several io threads two drains may run at once, each over the items it took.
  void Drain() {
    std::vector<std::function<void()>> batch;
    {
      std::lock_guard lock(mu_);
      batch.swap(items_);
      scheduled_ = false;
    }
    for (auto& fn : batch) fn();
  }

  boost::asio::any_io_executor io_;
  std::mutex mu_;
  std::vector<std::function<void()>> items_;
  bool scheduled_ = false;  // a Drain is posted and has not yet taken the items
};

}  // namespace sakchy::service
