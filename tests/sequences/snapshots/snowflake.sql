-- segl 0.1.0
-- source: examples/shop/sequences.seg
-- dialect: snowflake
-- as_of: 2026-06-30
WITH seq_1_rows AS (
  SELECT
    web_events.customer_id AS _key,
    web_events.occurred_at AS _t,
    CASE WHEN web_events.page LIKE '/product%' THEN 1 ELSE 0 END AS _a,
    0 AS _b
  FROM shop.web_events AS web_events
  WHERE
    NOT web_events.occurred_at IS NULL
    AND CAST(web_events.occurred_at AS DATE) <= CAST('2026-06-30' AS DATE)
    AND web_events.page LIKE '/product%'
  UNION ALL
  SELECT
    orders.customer_id AS _key,
    orders.ordered_at AS _t,
    0 AS _a,
    1 AS _b
  FROM shop.orders AS orders
  WHERE
    NOT orders.ordered_at IS NULL
    AND CAST(orders.ordered_at AS DATE) <= CAST('2026-06-30' AS DATE)
), seq_1_instants AS (
  SELECT
    _key,
    _t,
    SUM(_a) AS _a,
    SUM(_b) AS _b
  FROM seq_1_rows
  GROUP BY
    _key,
    _t
), seq_1_windows AS (
  SELECT
    _key,
    _t,
    _a,
    _b,
    MIN(CASE WHEN _b > 0 THEN _t END) OVER (PARTITION BY _key ORDER BY _t ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS _next
  FROM seq_1_instants
), seq_1 AS (
  SELECT
    _key,
    CAST(SUM(
      CASE
        WHEN _a > 0
        AND CAST(DATEADD(DAY, 7, CAST(_t AS DATE)) AS DATE) <= CAST('2026-06-30' AS DATE)
        AND (
          _next IS NULL
          OR NOT CAST(_next AS DATE) <= CAST(DATEADD(DAY, 7, CAST(_t AS DATE)) AS DATE)
        )
        THEN _a
        ELSE 0
      END
    ) AS BIGINT) AS seq_1__count,
    MAX(
      CASE
        WHEN _a > 0
        AND CAST(DATEADD(DAY, 7, CAST(_t AS DATE)) AS DATE) <= CAST('2026-06-30' AS DATE)
        AND (
          _next IS NULL
          OR NOT CAST(_next AS DATE) <= CAST(DATEADD(DAY, 7, CAST(_t AS DATE)) AS DATE)
        )
        THEN _t
      END
    ) AS seq_1__last
  FROM seq_1_windows
  GROUP BY
    _key
), seq_2_rows AS (
  SELECT
    email_events.customer_id AS _key,
    email_events.occurred_at AS _t,
    CASE WHEN email_events.event_type = 'open' THEN 1 ELSE 0 END AS _a,
    0 AS _b
  FROM shop.email_events AS email_events
  WHERE
    NOT email_events.occurred_at IS NULL
    AND CAST(email_events.occurred_at AS DATE) <= CAST('2026-06-30' AS DATE)
    AND email_events.event_type = 'open'
  UNION ALL
  SELECT
    orders.customer_id AS _key,
    orders.ordered_at AS _t,
    0 AS _a,
    1 AS _b
  FROM shop.orders AS orders
  WHERE
    NOT orders.ordered_at IS NULL
    AND CAST(orders.ordered_at AS DATE) <= CAST('2026-06-30' AS DATE)
), seq_2_instants AS (
  SELECT
    _key,
    _t,
    SUM(_a) AS _a,
    SUM(_b) AS _b
  FROM seq_2_rows
  GROUP BY
    _key,
    _t
), seq_2_windows AS (
  SELECT
    _key,
    _t,
    _a,
    _b,
    MAX(CASE WHEN _a > 0 THEN _t END) OVER (PARTITION BY _key ORDER BY _t ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS _prev_a,
    MAX(CASE WHEN _b > 0 THEN _t END) OVER (PARTITION BY _key ORDER BY _t ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS _prev_b
  FROM seq_2_instants
), seq_2 AS (
  SELECT
    _key,
    CAST(SUM(
      CASE
        WHEN _b > 0
        AND NOT _prev_a IS NULL
        AND (
          _prev_b IS NULL OR _prev_b <= _prev_a
        )
        AND CAST(_t AS DATE) <= CAST(DATEADD(DAY, 3, CAST(_prev_a AS DATE)) AS DATE)
        THEN _b
        ELSE 0
      END
    ) AS BIGINT) AS seq_2__count
  FROM seq_2_windows
  GROUP BY
    _key
), base AS (
  SELECT
    customer.customer_id,
    COALESCE(seq_1.seq_1__count, 0) AS seq_1__count,
    seq_1.seq_1__last AS seq_1__last,
    COALESCE(seq_2.seq_2__count, 0) AS seq_2__count
  FROM shop.customers AS customer
  LEFT JOIN seq_1
    ON seq_1._key = customer.customer_id
  LEFT JOIN seq_2
    ON seq_2._key = customer.customer_id
), step_1 AS (
  SELECT
    *,
    seq_1__last AS last_abandoned_browse,
    seq_1__count AS abandoned_browses,
    seq_2__count AS attributed_orders
  FROM base
), step_2 AS (
  SELECT
    *,
    COALESCE(
      DATEDIFF(DAY, CAST(last_abandoned_browse AS DATE), CAST('2026-06-30' AS DATE)) <= 30,
      FALSE
    ) AS abandoned_browsers,
    COALESCE(abandoned_browses >= 3, FALSE) AS serial_abandoners,
    COALESCE(attributed_orders >= 2, FALSE) AS email_converters
  FROM step_1
)
SELECT
  customer_id,
  abandoned_browsers,
  serial_abandoners,
  email_converters
FROM step_2
ORDER BY
  customer_id
