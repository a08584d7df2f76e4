// Uses samsa through its installed package only (find_package(samsa),
// samsa::samsa, <samsa/samsa.h>): a memory-backed broker, a producer and a
// consumer.
#include <cstdio>

#include <samsa/samsa.h>

int main() {
  samsa::BrokerConfig config;
  config.samsa_storage = "memory";
  auto broker = samsa::Broker::Open(config);
  if (!broker.ok()) return 1;
  if (!(*broker)->CreateTopic({.name = "installed", .num_partitions = 2}).ok()) return 1;
  auto producer = samsa::Producer::Create(broker->get(), {}).value();
  auto md = producer->Send({.topic = "installed", .partition = 1, .value = "works"}).Get();
  if (!md.ok() || md->offset != 0) return 1;
  samsa::ConsumerConfig cc;
  cc.auto_offset_reset = samsa::OffsetResetStrategy::kEarliest;
  auto consumer = samsa::Consumer::Create(broker->get(), cc).value();
  if (!consumer->Assign({{"installed", 1}}).ok()) return 1;
  auto records = consumer->Poll(absl::ZeroDuration());
  if (!records.ok() || records->size() != 1 || (*records)[0].value_string() != "works") return 1;
  std::printf("installed samsa works: %s-%d@%lld = %s\n", md->topic.c_str(), md->partition,
              static_cast<long long>(md->offset), (*records)[0].value_string().c_str());
  return (*broker)->Close().ok() ? 0 : 1;
}
