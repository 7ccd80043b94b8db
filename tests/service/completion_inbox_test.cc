// CompletionInbox: results pushed from other threads run on the io thread, in order, none lost.

#include "service/completion_inbox.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <thread>
#include <vector>

namespace sakchy::service::completion_inbox_test {
namespace {

TEST(CompletionInboxTest, RunsEveryPushOnTheIoThreadInPushOrder) {
  boost::asio::io_context io(1);
  auto work = boost::asio::make_work_guard(io);
  std::thread::id io_thread;
  std::thread runner([&] {
    io_thread = std::this_thread::get_id();
    io.run();
  });
  CompletionInbox inbox(io.get_executor());
  constexpr int kPushes = 20000;
  std::vector<int> seen;  // touched on the io thread only
  std::atomic<int> on_other_thread{0};
  std::atomic<int> done{0};
  std::thread producer([&] {
    for (int i = 0; i < kPushes; ++i) {
      inbox.Push([&, i] {
        if (std::this_thread::get_id() != io_thread) ++on_other_thread;
        seen.push_back(i);
        ++done;
      });
      if (i % 97 == 0) std::this_thread::yield();  // some pushes land while a drain runs
    }
  });
  producer.join();
  for (int i = 0; i < 5000 && done.load() < kPushes; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  work.reset();
  runner.join();
  ASSERT_EQ(done.load(), kPushes);
  EXPECT_EQ(on_other_thread.load(), 0);
  for (int i = 0; i < kPushes; ++i) ASSERT_EQ(seen[i], i) << "out of order at " << i;
}

}  // namespace
}  // namespace sakchy::service::completion_inbox_test
