// The stream table on its own, on a real EAL (its arrays and RCU state come from DPDK): what
// keys it holds, and that nothing it unpublishes is reused or freed before every reader has
// passed a quiescent state. The test thread plays the one lcore. The ASan build turns an
// early free of a replaced target into a failure: the tests read retired targets until the
// grace period ends.

#include <gtest/gtest.h>
#include <rte_rcu_qsbr.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "dpdk/stream_table.h"
#include "tests/dpdk/relay_env.h"

namespace sbc::dpdk::test {
namespace {

[[maybe_unused]] auto* registered = ::testing::AddGlobalTestEnvironment(new EalEnvironment(0));

constexpr unsigned kReader = 0;

StreamKey key(uint8_t interface, uint8_t address, uint16_t port) {
  StreamKey k;
  k.interface = interface;
  k.address = address;
  k.port = rte_cpu_to_be_16(port);
  return k;
}

std::unique_ptr<RelayTarget> target(uint64_t session) {
  auto t = std::make_unique<RelayTarget>();
  t->session = session;
  return t;
}

class StreamTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StreamTable::Capacity c;
    c.streams = 2;
    c.latches = 2;
    c.readers = 1;
    c.addresses = {2, 1};  // interface 0: its address and one extra; interface 1: one
    std::string error;
    table_ = StreamTable::create(c, error);
    ASSERT_NE(table_, nullptr) << error;
    ASSERT_EQ(rte_rcu_qsbr_thread_register(table_->rcu(), kReader), 0);
    rte_rcu_qsbr_thread_online(table_->rcu(), kReader);
  }

  void TearDown() override {
    if (!table_) return;
    rte_rcu_qsbr_thread_offline(table_->rcu(), kReader);
    rte_rcu_qsbr_thread_unregister(table_->rcu(), kReader);
  }

  void quiescent() { rte_rcu_qsbr_quiescent(table_->rcu(), kReader); }

  std::unique_ptr<StreamTable> table_;
};

TEST_F(StreamTableTest, HoldsEveryPortOfEveryMediaAddress) {
  const StreamKey keys[] = {key(0, 0, 0), key(0, 0, 65535), key(0, 1, 2000), key(1, 0, 2000)};
  uint64_t session = 1;
  for (const StreamKey& k : keys)
    ASSERT_TRUE(table_->publish(k, target(session++)));
  session = 1;
  for (const StreamKey& k : keys) {
    const RelayTarget* t = table_->find(k);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->session, session++);
  }
  // Neighbouring ports and the other addresses' same port stay empty.
  EXPECT_EQ(table_->find(key(0, 0, 1)), nullptr);
  EXPECT_EQ(table_->find(key(0, 0, 65534)), nullptr);
  EXPECT_EQ(table_->find(key(0, 1, 2001)), nullptr);
  EXPECT_EQ(table_->find(key(0, 0, 2000)), nullptr);
}

TEST_F(StreamTableTest, KeysOnAddressesItDoesNotHaveAreRefused) {
  EXPECT_FALSE(table_->publish(key(1, 1, 2000), target(1)));  // interface 1 has one address
  EXPECT_FALSE(table_->publish(key(2, 0, 2000), target(1)));  // there is no interface 2
  EXPECT_FALSE(table_->publish(key(kMaxInterfaces, 0, 2000), target(1)));
  EXPECT_FALSE(table_->publish(key(0, kMaxAddresses, 2000), target(1)));
  EXPECT_EQ(table_->find(key(1, 1, 2000)), nullptr);
  EXPECT_EQ(table_->find(key(kMaxInterfaces, kMaxAddresses, 2000)), nullptr);
  table_->remove(key(2, 0, 2000));  // nothing to remove: no effect
}

TEST_F(StreamTableTest, ReplacedAndRemovedTargetsOutliveTheGracePeriod) {
  StreamKey k = key(0, 0, 4000);
  ASSERT_TRUE(table_->publish(k, target(1)));
  const RelayTarget* first = table_->find(k);  // what an lcore holds mid-burst
  ASSERT_TRUE(table_->publish(k, target(2)));
  EXPECT_EQ(table_->find(k)->session, 2u);
  table_->reclaim();  // the reader has not been quiescent since
  EXPECT_EQ(first->session, 1u);

  const RelayTarget* second = table_->find(k);
  table_->remove(k);
  EXPECT_EQ(table_->find(k), nullptr);
  table_->reclaim();
  EXPECT_EQ(first->session, 1u);
  EXPECT_EQ(second->session, 2u);

  quiescent();
  table_->reclaim();  // both are freed now: the reader holds neither
  ASSERT_TRUE(table_->publish(k, target(3)));
  EXPECT_EQ(table_->find(k)->session, 3u);
}

TEST_F(StreamTableTest, SlotsComeBackOnlyAfterTheGracePeriod) {
  auto a = table_->allocateLatch();
  auto b = table_->allocateLatch();
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(table_->allocateLatch());
  table_->latches()[*a].store(encodeSource(rte_cpu_to_be_32(0x0a000001), rte_cpu_to_be_16(4000)));
  table_->retireLatch(*a);

  auto s = table_->allocateStream();
  ASSERT_TRUE(s && table_->allocateStream());
  EXPECT_FALSE(table_->allocateStream());
  table_->retireStream(*s);

  table_->reclaim();
  EXPECT_EQ(table_->freeLatches(), 0u);
  EXPECT_EQ(table_->freeStreams(), 0u);

  quiescent();
  table_->reclaim();
  EXPECT_EQ(table_->freeLatches(), 1u);
  EXPECT_EQ(table_->freeStreams(), 1u);
  auto again = table_->allocateLatch();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *a);
  EXPECT_EQ(table_->latches()[*again].load(), 0u);  // a new stream never inherits a source
  EXPECT_EQ(table_->allocateStream(), s);
}

TEST_F(StreamTableTest, SynchronizeWaitsOnlyForOnlineReaders) {
  ASSERT_TRUE(table_->publish(key(0, 0, 4000), target(1)));
  table_->retireLatch(*table_->allocateLatch());
  // An lcore that has stopped (offline) holds nothing: synchronize() must not wait for it.
  rte_rcu_qsbr_thread_offline(table_->rcu(), kReader);
  table_->synchronize();
  EXPECT_EQ(table_->freeLatches(), 2u);
  rte_rcu_qsbr_thread_online(table_->rcu(), kReader);
}

// Targets made one after another lie side by side (RelayTarget's pool): the packet path
// then finds many on one page, instead of one every few pages among the session records.
// The first few may reuse slots that earlier tests freed; after those, every next target is
// the following 64 bytes, unless a new 2 MB chunk starts.
TEST(RelayTargetPool, TargetsMadeInARowAreAdjacent) {
  std::vector<std::unique_ptr<RelayTarget>> made;
  for (int i = 0; i < 1000; ++i)
    made.push_back(std::make_unique<RelayTarget>());
  int apart = 0;
  for (size_t i = 500; i < made.size(); ++i) {
    auto prev = reinterpret_cast<uintptr_t>(made[i - 1].get());
    auto here = reinterpret_cast<uintptr_t>(made[i].get());
    if (here != prev + sizeof(RelayTarget) && here % (size_t{2} << 20) != 0) ++apart;
  }
  EXPECT_EQ(apart, 0);
  for (const auto& t : made)
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.get()) % alignof(RelayTarget), 0u);
}

}  // namespace
}  // namespace sbc::dpdk::test
