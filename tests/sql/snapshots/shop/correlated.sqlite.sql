-- segl 0.1.0
-- source: examples/shop/after_first_purchase.seg
-- dialect: sqlite
-- as_of: 2026-06-30
WITH agg_web_events AS (
  SELECT
    web_events.customer_id AS _key,
    MAX(web_events.occurred_at) AS web_events__m1
  FROM shop.web_events AS web_events
  WHERE
    web_events.occurred_at < DATETIME('2026-07-01 00:00:00')
  GROUP BY
    web_events.customer_id
), base AS (
  SELECT
    customer.customer_id,
    customer.signup_date,
    agg_web_events.web_events__m1 AS web_events__m1
  FROM shop.customers AS customer
  LEFT JOIN agg_web_events
    ON agg_web_events._key = customer.customer_id
), agg0_orders AS (
  SELECT
    orders.customer_id AS _key,
    ROUND(
      SUM(
        CASE
          WHEN orders.ordered_at >= DATETIME(segl_context.signup_date)
          THEN CAST(orders.amount AS REAL(38, 9))
        END
      ),
      9
    ) AS orders__c0m1,
    MIN(CASE WHEN orders.status = 'paid' THEN orders.ordered_at END) AS orders__c0m2
  FROM shop.orders AS orders
  INNER JOIN (
    SELECT
      base.customer_id AS _key,
      base.signup_date AS signup_date
    FROM base
  ) AS segl_context
    ON segl_context._key = orders.customer_id
  WHERE
    orders.ordered_at < DATETIME('2026-07-01 00:00:00')
    AND (
      orders.ordered_at >= DATETIME(segl_context.signup_date) OR orders.status = 'paid'
    )
  GROUP BY
    orders.customer_id
), pass_0 AS (
  SELECT
    base.*,
    COALESCE(agg0_orders.orders__c0m1, 0) AS orders__c0m1,
    agg0_orders.orders__c0m2 AS orders__c0m2
  FROM base
  LEFT JOIN agg0_orders
    ON agg0_orders._key = base.customer_id
), step_1 AS (
  SELECT
    *,
    orders__c0m2 AS first_purchase,
    web_events__m1 AS last_view,
    orders__c0m1 AS spend_since_signup
  FROM pass_0
), agg1_orders AS (
  SELECT
    orders.customer_id AS _key,
    ROUND(
      SUM(
        CASE
          WHEN orders.status = 'paid' AND orders.ordered_at > segl_context.first_purchase
          THEN CAST(orders.amount AS REAL(38, 9))
        END
      ),
      9
    ) AS orders__c1m1,
    COUNT(
      CASE
        WHEN segl_context.last_view IS NULL OR orders.ordered_at > segl_context.last_view
        THEN 1
      END
    ) AS orders__c1m2
  FROM shop.orders AS orders
  INNER JOIN (
    SELECT
      step_1.customer_id AS _key,
      step_1.first_purchase AS first_purchase,
      step_1.last_view AS last_view
    FROM step_1
  ) AS segl_context
    ON segl_context._key = orders.customer_id
  WHERE
    orders.ordered_at < DATETIME('2026-07-01 00:00:00')
    AND (
      (
        orders.status = 'paid' AND orders.ordered_at > segl_context.first_purchase
      )
      OR (
        segl_context.last_view IS NULL OR orders.ordered_at > segl_context.last_view
      )
    )
  GROUP BY
    orders.customer_id
), pass_1 AS (
  SELECT
    step_1.*,
    COALESCE(agg1_orders.orders__c1m1, 0) AS orders__c1m1,
    COALESCE(agg1_orders.orders__c1m2, 0) AS orders__c1m2
  FROM step_1
  LEFT JOIN agg1_orders
    ON agg1_orders._key = step_1.customer_id
), step_2 AS (
  SELECT
    *,
    orders__c1m1 AS spend_after_first,
    orders__c1m2 AS orders_after_last_view
  FROM pass_1
), step_3 AS (
  SELECT
    *,
    COALESCE(spend_after_first > 0, FALSE) AS spent_again,
    COALESCE(orders_after_last_view > 0 AND spend_since_signup > 0, FALSE) AS ordered_without_visit
  FROM step_2
)
SELECT
  customer_id,
  spent_again,
  ordered_without_visit
FROM step_3
ORDER BY
  customer_id
