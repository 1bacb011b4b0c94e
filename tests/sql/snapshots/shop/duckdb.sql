-- segl 0.1.0
-- source: examples/shop/shop.seg
-- params: loyal_orders=4, lapsed_days=180
-- dialect: duckdb
-- as_of: 2026-06-30
WITH agg_orders AS (
  SELECT
    orders.customer_id AS _key,
    COUNT(
      CASE
        WHEN orders.status = 'paid'
        AND orders.ordered_at >= CAST('2025-07-01 00:00:00' AS TIMESTAMP)
        THEN 1
      END
    ) AS orders__m1,
    COUNT(CASE WHEN orders.status = 'paid' THEN 1 END) AS orders__m2,
    MAX(CASE WHEN orders.status = 'paid' THEN orders.ordered_at END) AS orders__m3,
    COUNT(
      CASE
        WHEN orders.status = 'paid'
        AND (
          orders.ordered_at >= CAST('2025-11-24 00:00:00' AS TIMESTAMP)
          AND orders.ordered_at < CAST('2025-12-02 00:00:00' AS TIMESTAMP)
        )
        THEN 1
      END
    ) AS orders__m4,
    COUNT(CASE WHEN NOT orders.discount_code IS NULL AND orders.status = 'paid' THEN 1 END) AS orders__m5,
    COUNT(DISTINCT orders.category) AS orders__m6,
    SUM(CASE WHEN orders.status = 'paid' THEN CAST(orders.amount AS DECIMAL(38, 9)) END) AS orders__m7,
    SUM(
      CASE
        WHEN orders.status = 'paid'
        AND orders.ordered_at >= CAST('2025-07-01 00:00:00' AS TIMESTAMP)
        THEN CAST(orders.amount AS DECIMAL(38, 9))
      END
    ) AS orders__m8
  FROM READ_PARQUET('examples/shop/data/orders.parquet') AS orders
  WHERE
    orders.ordered_at < CAST('2026-07-01 00:00:00' AS TIMESTAMP)
  GROUP BY
    orders.customer_id
), agg_web_events AS (
  SELECT
    web_events.customer_id AS _key,
    COUNT(CASE WHEN web_events.page = '/pricing' THEN 1 END) AS web_events__m1,
    COUNT(CASE WHEN web_events.page = '/sale' THEN 1 END) AS web_events__m2
  FROM READ_PARQUET('examples/shop/data/web_events.parquet') AS web_events
  WHERE
    web_events.occurred_at < CAST('2026-07-01 00:00:00' AS TIMESTAMP)
    AND (
      web_events.occurred_at >= CAST('2026-06-01 00:00:00' AS TIMESTAMP)
      AND (
        web_events.page = '/pricing' OR web_events.page = '/sale'
      )
    )
  GROUP BY
    web_events.customer_id
), agg_email_events AS (
  SELECT
    email_events.customer_id AS _key,
    COUNT(CASE WHEN email_events.event_type = 'click' THEN 1 END) AS email_events__m1
  FROM READ_PARQUET('examples/shop/data/email_events.parquet') AS email_events
  WHERE
    email_events.occurred_at < CAST('2026-07-01 00:00:00' AS TIMESTAMP)
    AND (
      email_events.occurred_at >= CAST('2026-04-02 00:00:00' AS TIMESTAMP)
      AND email_events.event_type = 'click'
    )
  GROUP BY
    email_events.customer_id
), agg_survey_answers AS (
  SELECT
    survey_answers.customer_id AS _key,
    AVG(survey_answers.nps) AS survey_answers__m1
  FROM READ_PARQUET('examples/shop/data/survey_answers.parquet') AS survey_answers
  WHERE
    survey_answers.answered_at < CAST('2026-07-01 00:00:00' AS TIMESTAMP)
  GROUP BY
    survey_answers.customer_id
), base AS (
  SELECT
    customer.customer_id,
    customer.birth_date,
    customer.income,
    customer.household_size,
    customer.lifestyle,
    customer.education,
    customer.province,
    customer.city,
    customer.postcode,
    customer.country,
    customer.interest,
    customer.sustainability_score,
    customer.app_user,
    customer.device,
    customer.consent_marketing,
    COALESCE(agg_orders.orders__m1, 0) AS orders__m1,
    COALESCE(agg_orders.orders__m2, 0) AS orders__m2,
    agg_orders.orders__m3 AS orders__m3,
    COALESCE(agg_orders.orders__m4, 0) AS orders__m4,
    COALESCE(agg_orders.orders__m5, 0) AS orders__m5,
    COALESCE(agg_orders.orders__m6, 0) AS orders__m6,
    COALESCE(agg_orders.orders__m7, 0) AS orders__m7,
    COALESCE(agg_orders.orders__m8, 0) AS orders__m8,
    COALESCE(agg_web_events.web_events__m1, 0) AS web_events__m1,
    COALESCE(agg_web_events.web_events__m2, 0) AS web_events__m2,
    COALESCE(agg_email_events.email_events__m1, 0) AS email_events__m1,
    agg_survey_answers.survey_answers__m1 AS survey_answers__m1
  FROM READ_PARQUET('examples/shop/data/customers.parquet') AS customer
  LEFT JOIN agg_orders
    ON agg_orders._key = customer.customer_id
  LEFT JOIN agg_web_events
    ON agg_web_events._key = customer.customer_id
  LEFT JOIN agg_email_events
    ON agg_email_events._key = customer.customer_id
  LEFT JOIN agg_survey_answers
    ON agg_survey_answers._key = customer.customer_id
), step_1 AS (
  SELECT
    *,
    (
      YEAR(CAST('2026-06-30' AS DATE)) - YEAR(CAST(birth_date AS DATE))
    ) - CASE
      WHEN MONTH(CAST('2026-06-30' AS DATE)) * 100 + DAY(CAST('2026-06-30' AS DATE)) < MONTH(CAST(birth_date AS DATE)) * 100 + DAY(CAST(birth_date AS DATE))
      THEN 1
      ELSE 0
    END AS age,
    COALESCE(income >= 75000, FALSE) AS high_income,
    COALESCE(household_size >= 3 AND lifestyle = 'family', FALSE) AS families,
    COALESCE(education IN ('bachelor', 'master', 'doctorate'), FALSE) AS higher_educated,
    COALESCE(province IN ('Noord-Holland', 'Zuid-Holland', 'Utrecht'), FALSE) AS randstad,
    COALESCE(city IN ('Amsterdam', 'Rotterdam', 'Den Haag', 'Utrecht'), FALSE) AS big_cities,
    COALESCE(postcode LIKE '10%', FALSE) AS amsterdam_postcodes,
    COALESCE(country = 'BE', FALSE) AS belgium,
    COALESCE(interest = 'sustainability' OR sustainability_score >= 4, FALSE) AS sustainability_minded,
    COALESCE(app_user AND device = 'ios', FALSE) AS ios_app_users,
    COALESCE(device = 'desktop' AND app_user = FALSE, FALSE) AS desktop_only,
    orders__m1 AS orders_1y,
    orders__m2 AS orders_total,
    orders__m3 AS last_order,
    web_events__m1 AS pricing_views_30d,
    email_events__m1 AS email_clicks_90d,
    orders__m4 AS black_friday_orders,
    orders__m5 AS discounted_orders,
    web_events__m2 AS sale_views_30d,
    orders__m6 AS categories_bought,
    orders__m7 AS spend_total,
    orders__m8 AS spend_1y,
    survey_answers__m1 AS avg_nps
  FROM base
), ranked_rank_1 AS (
  SELECT
    customer_id AS _key
  FROM step_1
  ORDER BY
    spend_total DESC,
    customer_id
  LIMIT (
    SELECT
      20 * COUNT(*) // 100
    FROM step_1
  )
), ranked_rank_2 AS (
  SELECT
    customer_id AS _key
  FROM step_1
  ORDER BY
    spend_1y DESC,
    customer_id
  LIMIT 100
), step_2 AS (
  SELECT
    step_1.*,
    COALESCE(age BETWEEN 18 AND 34, FALSE) AS young_adults,
    COALESCE(age < 18, FALSE) AS minors,
    COALESCE(orders_1y >= 4, FALSE) AS loyal,
    COALESCE(orders_total = 1, FALSE) AS one_time_buyers,
    COALESCE(orders_total = 0, FALSE) AS never_ordered,
    COALESCE(orders_1y <= 1, FALSE) AS at_most_one_order_1y,
    DATE_DIFF('DAY', CAST(last_order AS DATE), CAST('2026-06-30' AS DATE)) AS days_since_last_order,
    COALESCE(pricing_views_30d >= 1 AND orders_1y = 0, FALSE) AS pricing_researchers,
    COALESCE(email_clicks_90d >= 1, FALSE) AS email_engaged,
    COALESCE(black_friday_orders >= 1, FALSE) AS black_friday_shoppers,
    COALESCE(
      orders_total = 1 AND last_order >= CAST(CAST('2026-05-31' AS DATE) AS TIMESTAMP),
      FALSE
    ) AS recent_first_timers,
    COALESCE(
      (
        orders_total >= 2 AND discounted_orders * 2 >= orders_total
      )
      OR sale_views_30d >= 3,
      FALSE
    ) AS bargain_hunters,
    COALESCE(categories_bought >= 4, FALSE) AS explorers,
    COALESCE(NOT ranked_rank_1._key IS NULL, FALSE) AS _rank_1,
    COALESCE(NOT ranked_rank_2._key IS NULL, FALSE) AS _rank_2,
    CAST(spend_total AS DECIMAL(38, 10)) / NULLIF(orders_total, 0) AS avg_order_value,
    COALESCE(avg_nps >= 9, FALSE) AS promoters,
    COALESCE(age BETWEEN 25 AND 35 AND big_cities AND lifestyle = 'urban professional', FALSE) AS young_urban,
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
    END AS _score_rfm_m,
    NTILE(10) OVER (ORDER BY step_1.spend_total, step_1.customer_id DESC) AS _score_spend_deciles_tier
  FROM step_1
  LEFT JOIN ranked_rank_1
    ON ranked_rank_1._key = step_1.customer_id
  LEFT JOIN ranked_rank_2
    ON ranked_rank_2._key = step_1.customer_id
), step_3 AS (
  SELECT
    *,
    COALESCE(orders_total > 0 AND days_since_last_order > 180, FALSE) AS lapsed,
    COALESCE(_rank_1, FALSE) AS top_20pct,
    COALESCE(_rank_2, FALSE) AS top_100_last_year,
    COALESCE(avg_order_value >= 150, FALSE) AS high_order_value,
    COALESCE(sustainability_minded AND consent_marketing AND NOT minors, FALSE) AS marketable_sustainable,
    CASE
      WHEN NOT step_2.days_since_last_order IS NULL
      THEN NTILE(5) OVER (
        PARTITION BY NOT step_2.days_since_last_order IS NULL
        ORDER BY step_2.days_since_last_order DESC, step_2.customer_id DESC
      )
    END AS _score_rfm_r,
    CASE
      WHEN _score_spend_deciles_tier = 10
      THEN 'tier_1'
      WHEN _score_spend_deciles_tier = 9
      THEN 'tier_2'
      WHEN _score_spend_deciles_tier = 8
      THEN 'tier_3'
      WHEN _score_spend_deciles_tier = 7
      THEN 'tier_4'
      WHEN _score_spend_deciles_tier = 6
      THEN 'tier_5'
      WHEN _score_spend_deciles_tier = 5
      THEN 'tier_6'
      WHEN _score_spend_deciles_tier = 4
      THEN 'tier_7'
      WHEN _score_spend_deciles_tier = 3
      THEN 'tier_8'
      WHEN _score_spend_deciles_tier = 2
      THEN 'tier_9'
      WHEN _score_spend_deciles_tier = 1
      THEN 'tier_10'
      ELSE 'no_value'
    END AS spend_deciles
  FROM step_2
), step_4 AS (
  SELECT
    *,
    COALESCE(young_urban AND loyal AND NOT lapsed, FALSE) AS young_loyal,
    COALESCE(top_20pct AND days_since_last_order BETWEEN 90 AND 365, FALSE) AS vip_at_risk,
    COALESCE(lapsed AND email_engaged AND consent_marketing, FALSE) AS win_back,
    CASE
      WHEN orders_total = 1 AND days_since_last_order <= 30
      THEN 'new'
      WHEN loyal AND NOT lapsed
      THEN 'loyal'
      WHEN days_since_last_order BETWEEN 90 AND 180
      THEN 'at_risk'
      WHEN lapsed
      THEN 'lapsed'
      WHEN orders_total = 1
      THEN 'one_off'
      ELSE 'prospect'
    END AS lifecycle,
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
  young_adults,
  high_income,
  families,
  higher_educated,
  minors,
  randstad,
  big_cities,
  amsterdam_postcodes,
  belgium,
  sustainability_minded,
  ios_app_users,
  desktop_only,
  loyal,
  one_time_buyers,
  never_ordered,
  at_most_one_order_1y,
  lapsed,
  pricing_researchers,
  email_engaged,
  black_friday_shoppers,
  recent_first_timers,
  bargain_hunters,
  explorers,
  top_20pct,
  top_100_last_year,
  high_order_value,
  promoters,
  young_urban,
  young_loyal,
  vip_at_risk,
  marketable_sustainable,
  win_back,
  lifecycle,
  rfm,
  spend_deciles,
  _score_rfm_r AS rfm__r,
  _score_rfm_f AS rfm__f,
  _score_rfm_m AS rfm__m,
  _score_spend_deciles_tier AS spend_deciles__tier
FROM step_4
ORDER BY
  customer_id
