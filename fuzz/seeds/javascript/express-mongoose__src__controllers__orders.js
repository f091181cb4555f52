const zlib = require("zlib");
const Order = require("../models/Order");
const User = require("../models/User");

// A look-alike: a local object, not the fs module.
const fs = { readFileSync: (key) => `cached:${key}` };

exports.list = async (req, res) => {
  const orders = await Order.find({ status: "open" }).lean();
  for (const order of orders) {
    // expect: node/n-plus-one-query
    order.customer = await User.findById(order.userId);
  }
  res.json(orders);
};

exports.customers = async (req, res) => {
  const orders = await Order.find().lean();
  orders.forEach(async (order) => {
    // expect: node/n-plus-one-query
    const user = await User.findOne({ _id: order.userId });
    console.log(user && user.email);
  });
  res.sendStatus(202);
};

exports.referrals = async (req, res) => {
  let total = 0;
  for await (const order of Order.find().cursor()) {
    // expect: node/n-plus-one-query
    total += await User.countDocuments({ referrer: order.userId });
  }
  res.json({ total });
};

exports.archive = async (req, res) => {
  // Paging through the collection: one query per page of 100 is batching.
  let page = 0;
  let batch;
  do {
    // ok: node/n-plus-one-query
    batch = await Order.find({ status: "done" }).skip(page * 100).limit(100);
    page += 1;
  } while (batch.length === 100);
  res.json({ pages: page });
};

exports.populated = async (req, res) => {
  const orders = await Order.find().populate("user");
  const ids = orders.map((o) => o.userId);
  // ok: node/n-plus-one-query
  const users = await User.find({ _id: { $in: ids } });
  res.json({ orders, users });
};

exports.exportAll = async (req, res) => {
  const orders = await Order.find().lean();
  // expect: node/sync-api-in-handler
  const body = zlib.gzipSync(JSON.stringify(orders));
  // ok: node/sync-api-in-handler
  const banner = fs.readFileSync("export-banner");
  res.set("Content-Encoding", "gzip").send(Buffer.concat([Buffer.from(banner), body]));
};
