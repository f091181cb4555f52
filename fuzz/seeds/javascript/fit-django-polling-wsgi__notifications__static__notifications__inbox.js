// Refreshes the badge: asks the server every two seconds.
let since = Number(document.body.dataset.since || 0);

setInterval(() => {
  fetch(`/notifications/poll/?since=${since}`, { credentials: "same-origin" })
    .then((r) => r.json())
    .then(({ notifications }) => {
      for (const n of notifications) {
        since = Math.max(since, n.pk);
        document.querySelector("#badge").textContent = String(notifications.length);
      }
    });
}, 2000);
