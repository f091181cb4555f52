const { Router } = require("express");
const tf = require("@tensorflow/tfjs-node");
const { current } = require("../ml/model");

const router = Router();

// Inference inside the web process: the tensor math shares the event loop
// and the thread pool with every other request.
router.post("/", async (req, res) => {
  const input = tf.tensor2d([req.body.features]);
  const output = current().predict(input);
  const [score] = await output.data();
  tf.dispose([input, output]);
  res.json({ churn: score });
});

router.post("/batch", async (req, res) => {
  const input = tf.tensor2d(req.body.rows);
  const output = current().predict(input);
  res.json({ churn: Array.from(await output.data()) });
  tf.dispose([input, output]);
});

module.exports = router;
