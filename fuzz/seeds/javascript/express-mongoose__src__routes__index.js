const express = require("express");
const orders = require("../controllers/orders");
const search = require("../controllers/search");

const router = express.Router();

router.get("/orders", orders.list);
router.get("/orders/customers", orders.customers);
router.get("/orders/export", orders.exportAll);
router.get("/orders/referrals", orders.referrals);
router.post("/orders/archive", orders.archive);
router.get("/orders/populated", orders.populated);
router.get("/search", search.find);
router.get("/search/safe", search.findEscaped);

module.exports = router;
