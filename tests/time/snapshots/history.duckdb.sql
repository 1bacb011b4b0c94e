-- segl: the daily refresh of the membership history table segl_history (docs/time.md)
-- source: examples/shop/shop.seg
-- dialect: duckdb
-- parameter: as_of, a date (YYYY-MM-DD) bound by the scheduler; run the
-- statements in order, once per date, dates in increasing order
CREATE TABLE IF NOT EXISTS segl_history (
  entity BIGINT,
  object TEXT,
  "group" TEXT,
  valid_from DATE,
  valid_to DATE
);

CREATE TABLE IF NOT EXISTS segl_history_dates (
  object TEXT,
  as_of DATE
);

DROP TABLE IF EXISTS segl_refresh_members;

CREATE TEMPORARY TABLE segl_refresh_members AS
WITH agg_orders AS (
  SELECT
    orders.customer_id AS _key,
    COUNT(
      CASE
        WHEN orders.status = 'paid'
        AND orders.ordered_at >= CAST(CAST($as_of AS DATE) + INTERVAL (-365) DAY + INTERVAL 1 DAY AS TIMESTAMP)
        THEN 1
      END
    ) AS orders__m1,
    MAX(CASE WHEN orders.status = 'paid' THEN orders.ordered_at END) AS orders__m2,
    COUNT(CASE WHEN orders.status = 'paid' THEN 1 END) AS orders__m3,
    SUM(CASE WHEN orders.status = 'paid' THEN CAST(orders.amount AS DECIMAL(38, 9)) END) AS orders__m4
  FROM READ_PARQUET('<checkout>/examples/shop/data/orders.parquet') AS orders
  WHERE
    orders.ordered_at < CAST(CAST($as_of AS DATE) + INTERVAL 1 DAY AS TIMESTAMP)
    AND (
      (
        orders.status = 'paid'
        AND orders.ordered_at >= CAST(CAST($as_of AS DATE) + INTERVAL (-365) DAY + INTERVAL 1 DAY AS TIMESTAMP)
      )
      OR orders.status = 'paid'
    )
  GROUP BY
    orders.customer_id
), base AS (
  SELECT
    customer.customer_id,
    COALESCE(agg_orders.orders__m1, 0) AS orders__m1,
    agg_orders.orders__m2 AS orders__m2,
    COALESCE(agg_orders.orders__m3, 0) AS orders__m3,
    COALESCE(agg_orders.orders__m4, 0) AS orders__m4
  FROM READ_PARQUET('<checkout>/examples/shop/data/customers.parquet') AS customer
  LEFT JOIN agg_orders
    ON agg_orders._key = customer.customer_id
), step_1 AS (
  SELECT
    *,
    orders__m1 AS orders_1y,
    orders__m2 AS last_order,
    orders__m3 AS orders_total,
    orders__m4 AS spend_total
  FROM base
), step_2 AS (
  SELECT
    *,
    COALESCE(orders_1y >= 4, FALSE) AS loyal,
    DATE_DIFF('DAY', CAST(last_order AS DATE), CAST($as_of AS DATE)) AS days_since_last_order,
    CAST(FLOOR(
      CAST(5 * (
        RANK() OVER (ORDER BY step_1.orders_total) - 1
      ) AS DOUBLE) / COUNT(*) OVER (
        ORDER BY step_1.orders_total
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
      )
    ) AS INT) + 1 AS _score_rfm_f,
    CASE
      WHEN spend_total IS NULL
      THEN NULL
      ELSE 1 + CASE WHEN spend_total >= 50 THEN 1 ELSE 0 END + CASE WHEN spend_total >= 200 THEN 1 ELSE 0 END + CASE WHEN spend_total >= 500 THEN 1 ELSE 0 END + CASE WHEN spend_total >= 1500 THEN 1 ELSE 0 END
    END AS _score_rfm_m
  FROM step_1
), step_3 AS (
  SELECT
    *,
    CASE
      WHEN NOT step_2.days_since_last_order IS NULL
      THEN NTILE(5) OVER (
        PARTITION BY NOT step_2.days_since_last_order IS NULL
        ORDER BY step_2.days_since_last_order DESC, step_2.customer_id DESC
      )
    END AS _score_rfm_r
  FROM step_2
), step_4 AS (
  SELECT
    *,
    CASE
      WHEN _score_rfm_r >= 4 AND _score_rfm_f >= 4 AND _score_rfm_m >= 4
      THEN 'champions'
      WHEN _score_rfm_f >= 4
      THEN 'loyal'
      WHEN _score_rfm_r <= 2 AND _score_rfm_f >= 3
      THEN 'at_risk'
      WHEN _score_rfm_r <= 2
      THEN 'hibernating'
      ELSE 'others'
    END AS rfm
  FROM step_3
)
SELECT
  customer_id,
  loyal,
  rfm,
  _score_rfm_r AS rfm__r,
  _score_rfm_f AS rfm__f,
  _score_rfm_m AS rfm__m
FROM step_4
ORDER BY
  customer_id;

DROP TABLE IF EXISTS segl_refresh_points;

CREATE TEMPORARY TABLE segl_refresh_points AS
SELECT
  customer_id AS entity,
  'loyal' AS object,
  'member' AS "group"
FROM segl_refresh_members
WHERE
  loyal
UNION ALL
SELECT
  customer_id AS entity,
  'rfm' AS object,
  rfm AS "group"
FROM segl_refresh_members;

BEGIN;

DELETE FROM segl_history
WHERE
  segl_history.valid_from = CAST($as_of AS DATE)
  AND (
    segl_history.object IN ('loyal', 'rfm')
    AND NOT EXISTS(
      SELECT
        1
      FROM segl_history_dates AS later
      WHERE
        later.object = segl_history.object AND later.as_of > CAST($as_of AS DATE)
    )
  );

UPDATE segl_history SET valid_to = NULL
WHERE
  segl_history.valid_to = CAST($as_of AS DATE)
  AND (
    segl_history.object IN ('loyal', 'rfm')
    AND NOT EXISTS(
      SELECT
        1
      FROM segl_history_dates AS later
      WHERE
        later.object = segl_history.object AND later.as_of > CAST($as_of AS DATE)
    )
  );

DELETE FROM segl_history_dates
WHERE
  segl_history_dates.as_of = CAST($as_of AS DATE)
  AND (
    segl_history_dates.object IN ('loyal', 'rfm')
    AND NOT EXISTS(
      SELECT
        1
      FROM segl_history_dates AS later
      WHERE
        later.object = segl_history_dates.object AND later.as_of > CAST($as_of AS DATE)
    )
  );

UPDATE segl_history SET valid_to = CAST($as_of AS DATE)
WHERE
  segl_history.valid_to IS NULL
  AND segl_history.object IN ('loyal', 'rfm')
  AND NOT EXISTS(
    SELECT
      1
    FROM segl_history_dates AS later
    WHERE
      later.object = segl_history.object AND later.as_of > CAST($as_of AS DATE)
  )
  AND NOT EXISTS(
    SELECT
      1
    FROM segl_refresh_points AS p
    WHERE
      p.entity = segl_history.entity
      AND p.object = segl_history.object
      AND p."group" = segl_history."group"
  );

INSERT INTO segl_history (
  entity,
  object,
  "group",
  valid_from,
  valid_to
)
SELECT
  p.entity,
  p.object,
  p."group",
  CAST($as_of AS DATE) AS valid_from,
  CAST(NULL AS DATE) AS valid_to
FROM segl_refresh_points AS p
WHERE
  NOT EXISTS(
    SELECT
      1
    FROM segl_history
    WHERE
      segl_history.valid_to IS NULL
      AND (
        p.entity = segl_history.entity
        AND p.object = segl_history.object
        AND p."group" = segl_history."group"
      )
  )
  AND NOT EXISTS(
    SELECT
      1
    FROM segl_history_dates AS later
    WHERE
      later.object = p.object AND later.as_of > CAST($as_of AS DATE)
  );

INSERT INTO segl_history_dates (
  object,
  as_of
)
SELECT
  o.object,
  CAST($as_of AS DATE) AS as_of
FROM (
  SELECT
    'loyal' AS object
  UNION ALL
  SELECT
    'rfm' AS object
) AS o
WHERE
  NOT EXISTS(
    SELECT
      1
    FROM segl_history_dates AS later
    WHERE
      later.object = o.object AND later.as_of > CAST($as_of AS DATE)
  );

COMMIT;

DROP TABLE IF EXISTS segl_refresh_points;

DROP TABLE IF EXISTS segl_refresh_members;
