// sarama (Shopify's Go client, Debian's golang-github-shopify-sarama-dev
// 1.22.1) against samsa-server: an implementation of the Kafka protocol and
// record format written independently of Kafka's Java client, librdkafka
// and kafka-python. Built and run by wire_sarama.py.
//
//	sarama-interop main BOOTSTRAP   (a 3-broker samsa-server)
//	sarama-interop sasl BOOTSTRAP   (a SASL_PLAINTEXT listener, user alice)
//	sarama-interop legacy BOOTSTRAP (sarama's default Version, 0.8.2, and 0.10.0)
//
// Prints "ok"/"FAIL" per check and exits 1 if any failed. Expected values
// come from Kafka's documented behaviour, not from a samsa run.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

var failures int

func check(ok bool, format string, args ...interface{}) {
	msg := fmt.Sprintf(format, args...)
	if ok {
		fmt.Println("ok   " + msg)
	} else {
		fmt.Println("FAIL " + msg)
		failures++
	}
}

func baseConfig() *sarama.Config {
	cfg := sarama.NewConfig()
	// The newest release sarama 1.22 knows that its produce path supports:
	// Produce v3, Fetch v10, ListOffsets v1, Metadata v5, JoinGroup v0...
	cfg.Version = sarama.V2_1_0_0
	cfg.ClientID = "sarama-interop"
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Metadata.Retry.Backoff = 50 * time.Millisecond
	return cfg
}

func codecValue(codec sarama.CompressionCodec, i int) string {
	return fmt.Sprintf("%v-%d-%s", codec, i, strings.Repeat("x", i%40))
}

// Records with keys and headers through each codec sarama can send at
// Produce v3, read back with a partition consumer.
func produceAndConsume(brokers []string, client sarama.Client) {
	codecs := []sarama.CompressionCodec{sarama.CompressionNone, sarama.CompressionGZIP,
		sarama.CompressionSnappy, sarama.CompressionLZ4}
	for n, codec := range codecs {
		cfg := baseConfig()
		cfg.Producer.Compression = codec
		producer, err := sarama.NewSyncProducer(brokers, cfg)
		if err != nil {
			check(false, "NewSyncProducer (%v): %v", codec, err)
			return
		}
		var msgs []*sarama.ProducerMessage
		for i := 0; i < 100; i++ {
			msgs = append(msgs, &sarama.ProducerMessage{Topic: "st", Partition: 1,
				Key:     sarama.StringEncoder(fmt.Sprintf("k%d", i)),
				Value:   sarama.StringEncoder(codecValue(codec, i)),
				Headers: []sarama.RecordHeader{{Key: []byte("codec"), Value: []byte(codec.String())}}})
		}
		err = producer.SendMessages(msgs)
		check(err == nil && msgs[0].Offset == int64(100*n) && msgs[99].Offset == int64(100*n+99),
			"100 records with %v compression acknowledged at offsets %d..%d: %v", codec,
			msgs[0].Offset, msgs[99].Offset, err)
		producer.Close()
	}

	// zstd needs Produce v7 (KIP-110); sarama 1.22 sends v3, which Kafka
	// refuses with UNSUPPORTED_COMPRESSION_TYPE, storing nothing.
	cfg := baseConfig()
	cfg.Producer.Compression = sarama.CompressionZSTD
	cfg.Producer.Retry.Max = 0
	if producer, err := sarama.NewSyncProducer(brokers, cfg); err == nil {
		_, _, err = producer.SendMessage(&sarama.ProducerMessage{Topic: "st", Partition: 1,
			Value: sarama.StringEncoder("zstd")})
		check(err == sarama.ErrUnsupportedCompressionType,
			"zstd in a Produce v3 is UNSUPPORTED_COMPRESSION_TYPE: %v", err)
		producer.Close()
	}

	newest, err := client.GetOffset("st", 1, sarama.OffsetNewest)
	check(err == nil && newest == 400, "ListOffsets latest is 400 (nothing of the zstd batch stored): %d %v", newest, err)
	oldest, err := client.GetOffset("st", 1, sarama.OffsetOldest)
	check(err == nil && oldest == 0, "ListOffsets earliest is 0: %d %v", oldest, err)

	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		check(false, "NewConsumer: %v", err)
		return
	}
	defer consumer.Close()
	pc, err := consumer.ConsumePartition("st", 1, sarama.OffsetOldest)
	if err != nil {
		check(false, "ConsumePartition: %v", err)
		return
	}
	defer pc.Close()
	bad := 0
	for i := 0; i < 400; i++ {
		select {
		case m := <-pc.Messages():
			codec := codecs[i/100]
			ok := m.Offset == int64(i) && string(m.Key) == fmt.Sprintf("k%d", i%100) &&
				string(m.Value) == codecValue(codec, i%100) && len(m.Headers) == 1 &&
				string(m.Headers[0].Key) == "codec" && string(m.Headers[0].Value) == codec.String()
			if !ok {
				bad++
				if bad <= 3 {
					fmt.Printf("  offset %d: key %q value %q headers %d\n", m.Offset, m.Key, m.Value, len(m.Headers))
				}
			}
		case err := <-pc.Errors():
			fmt.Println("  consumer error:", err)
			bad++
		case <-time.After(15 * time.Second):
			fmt.Println("  timed out at record", i)
			bad += 400 - i
			i = 400
		}
	}
	check(bad == 0, "the 400 records come back in order with their keys, values and headers (%d wrong)", bad)
}

// ListOffsets by timestamp: the first offset whose timestamp is >= the target.
func offsetsForTimes(brokers []string, client sarama.Client) {
	producer, err := sarama.NewSyncProducer(brokers, baseConfig())
	if err != nil {
		check(false, "NewSyncProducer: %v", err)
		return
	}
	defer producer.Close()
	send := func(v string) int64 {
		_, off, err := producer.SendMessage(&sarama.ProducerMessage{Topic: "st", Partition: 2, Value: sarama.StringEncoder(v)})
		if err != nil {
			check(false, "send: %v", err)
		}
		return off
	}
	send("before")
	time.Sleep(5 * time.Millisecond)
	mark := time.Now().UnixNano() / int64(time.Millisecond)
	time.Sleep(5 * time.Millisecond)
	after := send("after")
	got, err := client.GetOffset("st", 2, mark)
	check(err == nil && got == after, "ListOffsets at a time between two records is the later one's offset: %d (want %d) %v", got, after, err)
	got, err = client.GetOffset("st", 2, mark+3600*1000)
	check(err == nil && got == -1, "ListOffsets past every record's timestamp is -1: %d %v", got, err)
}

// An idempotent producer (InitProducerId, then batches with producer id,
// epoch and sequences the broker checks).
func idempotent(brokers []string, client sarama.Client) {
	cfg := baseConfig()
	cfg.Producer.Idempotent = true
	cfg.Net.MaxOpenRequests = 1
	cfg.Producer.Retry.Max = 3
	producer, err := sarama.NewSyncProducer(brokers, cfg)
	if err != nil {
		check(false, "NewSyncProducer (idempotent): %v", err)
		return
	}
	defer producer.Close()
	var msgs []*sarama.ProducerMessage
	for i := 0; i < 300; i++ {
		msgs = append(msgs, &sarama.ProducerMessage{Topic: "st", Partition: 3, Value: sarama.StringEncoder(fmt.Sprintf("idem-%d", i))})
	}
	start, _ := client.GetOffset("st", 3, sarama.OffsetNewest)
	for i := 0; i < 3; i++ {
		if err := producer.SendMessages(msgs[i*100 : (i+1)*100]); err != nil {
			check(false, "idempotent SendMessages: %v", err)
			return
		}
	}
	end, err := client.GetOffset("st", 3, sarama.OffsetNewest)
	check(err == nil && end-start == 300 && msgs[0].Offset == start && msgs[299].Offset == start+299,
		"an idempotent producer's 300 records are stored once, at offsets %d..%d (end %d)",
		msgs[0].Offset, msgs[299].Offset, end)
}

type member struct {
	name string
	mu   *sync.Mutex
	got  map[string]map[int32]bool
}

func (m member) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (m member) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (m member) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for msg := range c.Messages() {
		m.mu.Lock()
		m.got[m.name][msg.Partition] = true
		m.mu.Unlock()
		s.MarkMessage(msg, "")
	}
	return nil
}

// Two members of one group share the topic's four partitions; offsets are
// committed; the group is listed and described.
func consumerGroup(brokers []string, client sarama.Client, admin sarama.ClusterAdmin) {
	cfg := baseConfig()
	cfg.Consumer.Group.Rebalance.Timeout = 3 * time.Second
	cfg.Consumer.Offsets.CommitInterval = 100 * time.Millisecond
	var mu sync.Mutex
	got := map[string]map[int32]bool{"a": {}, "b": {}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var groups []sarama.ConsumerGroup
	for _, name := range []string{"a", "b"} {
		g, err := sarama.NewConsumerGroup(brokers, "sg", cfg)
		if err != nil {
			check(false, "NewConsumerGroup: %v", err)
			cancel()
			return
		}
		groups = append(groups, g)
		wg.Add(1)
		go func(name string, g sarama.ConsumerGroup) {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := g.Consume(ctx, []string{"st"}, member{name, &mu, got}); err != nil && ctx.Err() == nil {
					fmt.Println("  member", name, "consume:", err)
					time.Sleep(100 * time.Millisecond)
				}
			}
		}(name, g)
	}
	producer, err := sarama.NewSyncProducer(brokers, baseConfig())
	if err != nil {
		check(false, "NewSyncProducer: %v", err)
		cancel()
		return
	}
	split := false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && !split; {
		for p := int32(0); p < 4; p++ {
			producer.SendMessage(&sarama.ProducerMessage{Topic: "st", Partition: p, Value: sarama.StringEncoder("g")})
		}
		time.Sleep(200 * time.Millisecond)
		mu.Lock()
		split = len(got["a"]) > 0 && len(got["b"]) > 0 && len(got["a"])+len(got["b"]) == 4
		mu.Unlock()
	}
	producer.Close()
	mu.Lock()
	check(split, "a group of two splits the four partitions: a %v, b %v", got["a"], got["b"])
	mu.Unlock()
	// Let the last marks be committed, then leave.
	time.Sleep(500 * time.Millisecond)
	cancel()
	wg.Wait()
	for _, g := range groups {
		g.Close()
	}

	om, err := sarama.NewOffsetManagerFromClient("sg", client)
	if err != nil {
		check(false, "NewOffsetManager: %v", err)
		return
	}
	lagZero := true
	for p := int32(0); p < 4; p++ {
		pom, err := om.ManagePartition("st", p)
		if err != nil {
			check(false, "ManagePartition: %v", err)
			continue
		}
		next, _ := pom.NextOffset()
		end, _ := client.GetOffset("st", p, sarama.OffsetNewest)
		if next != end {
			lagZero = false
			fmt.Printf("  st-%d: committed %d, end %d\n", p, next, end)
		}
		pom.Close()
	}
	om.Close()
	check(lagZero, "every partition's committed offset is its end offset after the members leave")
	list, err := admin.ListConsumerGroups()
	check(err == nil && list["sg"] == "consumer", "ListGroups names sg with protocol type consumer: %v %v", list, err)
	desc, err := admin.DescribeConsumerGroups([]string{"sg"})
	check(err == nil && len(desc) == 1 && desc[0].State == "Empty" && len(desc[0].Members) == 0,
		"DescribeGroups: sg is Empty once both members left: %v", err)
}

func adminChecks(brokers []string, client sarama.Client, admin sarama.ClusterAdmin) {
	// sarama 1.22 sends DeleteRecords to the controller and drops
	// per-partition errors: aim it at a partition the controller leads.
	controller, err := client.Controller()
	if err != nil {
		check(false, "Controller: %v", err)
		return
	}
	target := int32(-1)
	for p := int32(0); p < 4; p++ {
		if leader, err := client.Leader("st", p); err == nil && leader.ID() == controller.ID() && p != 0 {
			target = p
		}
	}
	if target < 0 {
		target = 0
	}
	end, _ := client.GetOffset("st", target, sarama.OffsetNewest)
	if end >= 1 {
		err = admin.DeleteRecords("st", map[int32]int64{target: 1})
		start, err2 := client.GetOffset("st", target, sarama.OffsetOldest)
		check(err == nil && err2 == nil && start == 1, "DeleteRecords moves st-%d's log start to 1: %d %v %v", target, start, err, err2)
	} else {
		check(false, "st-%d has records to delete", target)
	}

	err = admin.CreatePartitions("st", 6, nil, false)
	check(err == nil, "CreatePartitions to 6: %v", err)
	client.RefreshMetadata("st")
	parts, err := client.Partitions("st")
	check(err == nil && len(parts) == 6, "the topic has 6 partitions: %v %v", parts, err)
	err = admin.CreatePartitions("st", 3, nil, false)
	check(err == sarama.ErrInvalidPartitions || (err != nil && strings.Contains(err.Error(), "partition")),
		"CreatePartitions to fewer is refused: %v", err)

	err = admin.AlterConfig(sarama.TopicResource, "st", map[string]*string{"retention.ms": strptr("3600000")}, false)
	check(err == nil, "AlterConfigs retention.ms: %v", err)
	entries, err := admin.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: "st", ConfigNames: []string{"retention.ms"}})
	check(err == nil && len(entries) == 1 && entries[0].Value == "3600000" && !entries[0].Default,
		"DescribeConfigs shows the altered retention.ms: %+v %v", entries, err)

	err = admin.DeleteTopic("st")
	check(err == nil, "DeleteTopic: %v", err)
	err = admin.DeleteTopic("st")
	check(err == sarama.ErrUnknownTopicOrPartition, "DeleteTopic of a missing topic is UNKNOWN_TOPIC_OR_PARTITION: %v", err)
	topics, err := admin.ListTopics()
	_, still := topics["st"]
	check(err == nil && !still, "the deleted topic is no longer listed: %v", err)
}

func strptr(s string) *string { return &s }

func mainChecks(brokers []string) {
	cfg := baseConfig()
	admin, err := sarama.NewClusterAdmin(brokers, cfg)
	if err != nil {
		check(false, "NewClusterAdmin: %v", err)
		return
	}
	defer admin.Close()
	err = admin.CreateTopic("st", &sarama.TopicDetail{NumPartitions: 4, ReplicationFactor: 1}, false)
	check(err == nil, "CreateTopic st with 4 partitions: %v", err)
	err = admin.CreateTopic("st", &sarama.TopicDetail{NumPartitions: 4, ReplicationFactor: 1}, false)
	check(err != nil && strings.Contains(err.Error(), "already exists"), "CreateTopic again is TOPIC_ALREADY_EXISTS: %v", err)
	topics, err := admin.ListTopics()
	check(err == nil && topics["st"].NumPartitions == 4, "ListTopics: st has 4 partitions: %+v %v", topics["st"], err)
	entries, err := admin.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: "st",
		ConfigNames: []string{"cleanup.policy"}})
	check(err == nil && len(entries) == 1 && entries[0].Value == "delete" && entries[0].Default,
		"DescribeConfigs: cleanup.policy is the default, delete: %+v %v", entries, err)

	client, err := sarama.NewClient(brokers, cfg)
	if err != nil {
		check(false, "NewClient: %v", err)
		return
	}
	defer client.Close()
	check(len(client.Brokers()) == 3, "Metadata lists 3 brokers (%d)", len(client.Brokers()))
	leaders := map[int32]bool{}
	for p := int32(0); p < 4; p++ {
		if leader, err := client.Leader("st", p); err == nil {
			leaders[leader.ID()] = true
		}
	}
	check(len(leaders) == 3, "the partitions' leaders are spread over the 3 brokers: %v", leaders)

	produceAndConsume(brokers, client)
	offsetsForTimes(brokers, client)
	idempotent(brokers, client)
	consumerGroup(brokers, client, admin)
	adminChecks(brokers, client, admin)
}

// sarama as most programs run it: sarama.NewConfig()'s Version is 0.8.2, so
// it sends Produce v0 with magic-0 message sets, Fetch v0 and ListOffsets v0
// (no ApiVersions); 0.10.0 sends Produce v2 with magic 1 and Fetch v2. A
// Kafka 3.x broker converts both ways; so must samsa. Topics are created by
// the Metadata request (auto.create.topics.enable).
func legacyChecks(brokers []string) {
	versions := []sarama.KafkaVersion{sarama.NewConfig().Version, sarama.V0_10_0_0}
	for _, version := range versions {
		codecs := []sarama.CompressionCodec{sarama.CompressionNone, sarama.CompressionGZIP,
			sarama.CompressionSnappy}
		if version.IsAtLeast(sarama.V0_10_0_0) {
			codecs = append(codecs, sarama.CompressionLZ4) // sarama: lz4 needs 0.10
		}
		for _, codec := range codecs {
			topic := fmt.Sprintf("legacy-%s-%v", version, codec)
			cfg := sarama.NewConfig()
			cfg.Version = version
			cfg.Producer.Return.Successes = true
			cfg.Producer.RequiredAcks = sarama.WaitForAll
			cfg.Producer.Partitioner = sarama.NewManualPartitioner
			cfg.Producer.Compression = codec
			cfg.Metadata.Retry.Backoff = 50 * time.Millisecond
			producer, err := sarama.NewSyncProducer(brokers, cfg)
			if err != nil {
				check(false, "NewSyncProducer (Version %s): %v", version, err)
				continue
			}
			var msgs []*sarama.ProducerMessage
			for i := 0; i < 50; i++ {
				msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Partition: 0,
					Key: sarama.StringEncoder(fmt.Sprintf("k%d", i)), Value: sarama.StringEncoder(codecValue(codec, i))})
			}
			err = producer.SendMessages(msgs)
			producer.Close()
			check(err == nil && msgs[0].Offset == 0 && msgs[49].Offset == 49,
				"Version %s, %v: 50 records acknowledged at offsets 0..49 (%d..%d): %v", version, codec,
				msgs[0].Offset, msgs[49].Offset, err)

			client, err := sarama.NewClient(brokers, cfg)
			if err != nil {
				check(false, "NewClient (Version %s): %v", version, err)
				continue
			}
			newest, err := client.GetOffset(topic, 0, sarama.OffsetNewest)
			check(err == nil && newest == 50, "Version %s, %v: ListOffsets latest is 50: %d %v", version, codec, newest, err)
			consumer, err := sarama.NewConsumerFromClient(client)
			if err != nil {
				check(false, "NewConsumer: %v", err)
				client.Close()
				continue
			}
			pc, err := consumer.ConsumePartition(topic, 0, sarama.OffsetOldest)
			if err != nil {
				check(false, "ConsumePartition (Version %s): %v", version, err)
				consumer.Close()
				client.Close()
				continue
			}
			bad := 0
			for i := 0; i < 50; i++ {
				select {
				case m := <-pc.Messages():
					if m.Offset != int64(i) || string(m.Key) != fmt.Sprintf("k%d", i) || string(m.Value) != codecValue(codec, i) {
						bad++
						if bad <= 3 {
							fmt.Printf("  offset %d: key %q value %q\n", m.Offset, m.Key, m.Value)
						}
					}
				case err := <-pc.Errors():
					fmt.Println("  consumer error:", err)
					bad++
				case <-time.After(15 * time.Second):
					fmt.Println("  timed out at record", i)
					bad += 50 - i
					i = 50
				}
			}
			check(bad == 0, "Version %s, %v: the 50 records come back in order (%d wrong)", version, codec, bad)
			pc.Close()
			consumer.Close()
			client.Close()
		}
	}
}

func saslChecks(brokers []string) {
	for _, password := range []string{"alice-secret", "wrong"} {
		cfg := baseConfig()
		cfg.Net.SASL.Enable = true
		cfg.Net.SASL.Handshake = true
		cfg.Net.SASL.User = "alice"
		cfg.Net.SASL.Password = password
		cfg.Metadata.Retry.Max = 0
		producer, err := sarama.NewSyncProducer(brokers, cfg)
		if password == "wrong" {
			check(err != nil && strings.Contains(err.Error(), sarama.ErrSASLAuthenticationFailed.Error()),
				"a wrong password is SASL_AUTHENTICATION_FAILED: %v", err)
			if producer != nil {
				producer.Close()
			}
			continue
		}
		if err != nil {
			check(false, "SASL/PLAIN login (SaslHandshake v1 + SaslAuthenticate): %v", err)
			continue
		}
		_, off, err := producer.SendMessage(&sarama.ProducerMessage{Topic: "secure", Partition: 0, Value: sarama.StringEncoder("x")})
		check(err == nil && off == 0, "SASL/PLAIN login (SaslHandshake v1 + SaslAuthenticate), then produce: offset %d %v", off, err)
		producer.Close()
	}
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: sarama-interop main|sasl|legacy BOOTSTRAP")
		os.Exit(2)
	}
	brokers := strings.Split(os.Args[2], ",")
	switch os.Args[1] {
	case "main":
		mainChecks(brokers)
	case "sasl":
		saslChecks(brokers)
	case "legacy":
		legacyChecks(brokers)
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", os.Args[1])
		os.Exit(2)
	}
	if failures > 0 {
		fmt.Printf("%d sarama check(s) failed\n", failures)
		os.Exit(1)
	}
	fmt.Println("all sarama checks passed")
}
