const Kafka = require('node-rdkafka');
const N = 200000;
const vals = Array.from({length: N}, (_, i) => JSON.stringify({ id: i, name: 'Employee ' + i, gender: i%2?'M':'F', salary: 50000 + i, birth_date: '1980-01-01', hire_date: '2010-05-06', department: 'Sales' }));
const topic = 'rd-' + Date.now();
const admin = Kafka.AdminClient.create({ 'metadata.broker.list': '127.0.0.1:29092' });
admin.createTopic({ topic, num_partitions: 2, replication_factor: 1 }, async (err) => {
  if (err) throw err;
  const p = new Kafka.Producer({ 'metadata.broker.list': '127.0.0.1:29092', 'enable.idempotence': true, dr_cb: true, 'linger.ms': 5, 'batch.size': 1000000, 'queue.buffering.max.messages': 1000000 });
  p.connect();
  p.on('ready', async () => {
    for (let rep = 0; rep < 3; rep++) {
      let delivered = 0; const t = process.cpuUsage(); const w = Date.now();
      await new Promise((resolve) => {
        p.removeAllListeners('delivery-report');
        p.on('delivery-report', (e, r) => { if (e) throw e; if (++delivered === N) resolve(); });
        p.setPollInterval(10);
        for (let i = 0; i < N; i++) p.produce(topic, i % 2, Buffer.from(vals[i]), 'run-key-abc', null, null, [{ seq: String(i) }]);
      });
      const u = process.cpuUsage(t);
      console.log('rep', rep, Date.now() - w, 'ms wall', ((u.user + u.system) / 1000).toFixed(0), 'ms cpu (process, incl. librdkafka threads)');
    }
    p.disconnect(); admin.disconnect();
  });
});
