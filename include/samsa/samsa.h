// samsa/samsa.h — everything an application uses: Apache Kafka as a library.
//
//   #include <samsa/samsa.h>
//   auto broker = samsa::Broker::Open(config);           // broker.h, config.h
//   auto producer = samsa::Producer::Create(broker->get(), {});  // producer.h
//   auto consumer = samsa::Consumer::Create(broker->get(), {});  // consumer.h
//
// Link the CMake target samsa::samsa (find_package(samsa)).
//
// Contract and thread-safety: this header only includes the others; each of
// them states its own (Broker, Producer: thread-safe; Consumer: one thread at
// a time except Wakeup(); plain value types: copy freely).
#pragma once

#include "samsa/broker.h"
#include "samsa/bytes.h"
#include "samsa/clock.h"
#include "samsa/cluster.h"
#include "samsa/config.h"
#include "samsa/consumer.h"
#include "samsa/coordinator.h"
#include "samsa/env.h"
#include "samsa/errors.h"
#include "samsa/kafka_server.h"
#include "samsa/logging.h"
#include "samsa/producer.h"
#include "samsa/record.h"
#include "samsa/testing/fake_kafka.h"
#include "samsa/topic.h"
#include "samsa/types.h"
