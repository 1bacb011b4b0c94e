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
    ) AS orders__m8,
    COUNT(
      CASE
        WHEN orders.status = 'paid'
        AND orders.ordered_at >= CAST('2024-07-01 00:00:00' AS TIMESTAMP)
        THEN 1
      END
    ) AS orders__m9,
    SUM(
      CASE
        WHEN orders.status = 'paid' AND NOT orders.discount_code IS NULL
        THEN CAST(orders.amount AS DECIMAL(38, 9))
      END
    ) AS orders__m10
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
    COUNT(
      CASE
        WHEN email_events.event_type = 'click'
        AND email_events.occurred_at >= CAST('2026-04-02 00:00:00' AS TIMESTAMP)
        THEN 1
      END
    ) AS email_events__m1,
    COUNT(CASE WHEN email_events.event_type = 'click' THEN 1 END) AS email_events__m2,
    COUNT(CASE WHEN email_events.event_type = 'open' THEN 1 END) AS email_events__m3,
    COUNT(CASE WHEN email_events.event_type = 'sent' THEN 1 END) AS email_events__m4,
    SUM(
      CASE
        WHEN email_events.event_type = 'sent'
        THEN CAST(campaigns.cost_per_send AS DECIMAL(38, 9))
      END
    ) AS email_events__m5
  FROM READ_PARQUET('examples/shop/data/email_events.parquet') AS email_events
  LEFT JOIN READ_PARQUET('examples/shop/data/campaigns.parquet') AS campaigns
    ON email_events.campaign = campaigns.campaign
  WHERE
    email_events.occurred_at < CAST('2026-07-01 00:00:00' AS TIMESTAMP)
    AND (
      (
        email_events.event_type = 'click'
        AND email_events.occurred_at >= CAST('2026-04-02 00:00:00' AS TIMESTAMP)
      )
      OR email_events.event_type = 'click'
      OR email_events.event_type = 'open'
      OR email_events.event_type = 'sent'
    )
  GROUP BY
    email_events.customer_id
), agg_survey_answers AS (
  SELECT
    survey_answers.customer_id AS _key,
    AVG(survey_answers.nps) AS survey_answers__m1,
    SUM(survey_answers.nps) AS survey_answers__m2,
    COUNT(survey_answers.nps) AS survey_answers__m3,
    SUM(survey_answers.csat) AS survey_answers__m4,
    COUNT(survey_answers.csat) AS survey_answers__m5
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
    COALESCE(agg_orders.orders__m9, 0) AS orders__m9,
    COALESCE(agg_orders.orders__m10, 0) AS orders__m10,
    COALESCE(agg_web_events.web_events__m1, 0) AS web_events__m1,
    COALESCE(agg_web_events.web_events__m2, 0) AS web_events__m2,
    COALESCE(agg_email_events.email_events__m1, 0) AS email_events__m1,
    COALESCE(agg_email_events.email_events__m2, 0) AS email_events__m2,
    COALESCE(agg_email_events.email_events__m3, 0) AS email_events__m3,
    COALESCE(agg_email_events.email_events__m4, 0) AS email_events__m4,
    COALESCE(agg_email_events.email_events__m5, 0) AS email_events__m5,
    agg_survey_answers.survey_answers__m1 AS survey_answers__m1,
    COALESCE(agg_survey_answers.survey_answers__m2, 0) AS survey_answers__m2,
    COALESCE(agg_survey_answers.survey_answers__m3, 0) AS survey_answers__m3,
    COALESCE(agg_survey_answers.survey_answers__m4, 0) AS survey_answers__m4,
    COALESCE(agg_survey_answers.survey_answers__m5, 0) AS survey_answers__m5
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
    survey_answers__m1 AS avg_nps,
    orders__m7 AS _kpi_1,
    orders__m2 AS _kpi_2,
    customer_id AS _kpi_3,
    orders__m7 AS _kpi_4,
    orders__m2 AS _kpi_5,
    email_events__m2 AS _kpi_6,
    email_events__m3 AS _kpi_7,
    survey_answers__m2 AS _kpi_8,
    survey_answers__m3 AS _kpi_9,
    customer_id AS _kpi_12,
    email_events__m3 AS _kpi_17,
    email_events__m4 AS _kpi_18,
    survey_answers__m4 AS _kpi_19,
    survey_answers__m5 AS _kpi_20,
    customer_id AS _kpi_22,
    orders__m10 AS _kpi_23,
    email_events__m5 AS _kpi_24,
    email_events__m5 AS _kpi_25
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
    NTILE(10) OVER (ORDER BY step_1.spend_total, step_1.customer_id DESC) AS _score_spend_deciles_tier,
    age AS _kpi_10,
    CASE WHEN orders_1y > 0 THEN 1 ELSE 0 END AS _kpi_11,
    orders__m9 - orders_1y AS orders_prev_year,
    spend_1y AS _kpi_21,
    spend_total AS _kpi_26,
    spend_1y AS _kpi_27
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
    END AS spend_deciles,
    CASE WHEN orders_prev_year > 0 AND orders_1y > 0 THEN 1 ELSE 0 END AS _kpi_13,
    CASE WHEN orders_prev_year > 0 THEN 1 ELSE 0 END AS _kpi_14,
    CASE WHEN orders_prev_year > 0 AND orders_1y = 0 THEN 1 ELSE 0 END AS _kpi_15,
    CASE WHEN orders_prev_year > 0 THEN 1 ELSE 0 END AS _kpi_16
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
), segl_member_rows AS (
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
    _score_spend_deciles_tier AS spend_deciles__tier,
    _kpi_1,
    _kpi_2,
    _kpi_3,
    _kpi_4,
    _kpi_5,
    _kpi_6,
    _kpi_7,
    _kpi_8,
    _kpi_9,
    _kpi_10,
    _kpi_11,
    _kpi_12,
    _kpi_13,
    _kpi_14,
    _kpi_15,
    _kpi_16,
    _kpi_17,
    _kpi_18,
    _kpi_19,
    _kpi_20,
    _kpi_21,
    _kpi_22,
    _kpi_23,
    _kpi_24,
    _kpi_25,
    _kpi_26,
    _kpi_27
  FROM step_4
), segl_grouped AS (
  SELECT
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
    COUNT(*) AS segl_members,
    SUM(_kpi_1) AS revenue,
    CAST(SUM(_kpi_2) AS DECIMAL(38, 10)) / NULLIF(COUNT(_kpi_3), 0) AS orders_per_customer,
    CAST(SUM(_kpi_4) AS DECIMAL(38, 10)) / NULLIF(SUM(_kpi_5), 0) AS aov,
    CAST(SUM(_kpi_6) AS DECIMAL(38, 10)) / NULLIF(SUM(_kpi_7), 0) AS email_ctr,
    CAST(SUM(_kpi_8) AS DECIMAL(38, 10)) / NULLIF(SUM(_kpi_9), 0) AS nps,
    AVG(_kpi_10) AS avg_age,
    CAST(SUM(_kpi_11) AS DECIMAL(38, 10)) / NULLIF(COUNT(_kpi_12), 0) AS conversion,
    CAST(SUM(_kpi_13) AS DECIMAL(38, 10)) / NULLIF(SUM(_kpi_14), 0) AS retention,
    CAST(SUM(_kpi_15) AS DECIMAL(38, 10)) / NULLIF(SUM(_kpi_16), 0) AS churn,
    CAST(SUM(_kpi_17) AS DECIMAL(38, 10)) / NULLIF(SUM(_kpi_18), 0) AS email_open_rate,
    CAST(SUM(_kpi_19) AS DECIMAL(38, 10)) / NULLIF(SUM(_kpi_20), 0) AS csat,
    CAST(SUM(_kpi_21) * 3 AS DECIMAL(38, 10)) / NULLIF(COUNT(_kpi_22), 0) AS clv_proxy,
    CAST((
      SUM(_kpi_23) - SUM(_kpi_24)
    ) AS DECIMAL(38, 10)) / NULLIF(SUM(_kpi_25), 0) AS email_roi,
    SUM(_kpi_26) AS "share of spend_total",
    SUM(_kpi_27) AS "share of spend_1y"
  FROM segl_member_rows
  GROUP BY
    GROUPING SETS (
      (),
      (young_adults),
      (high_income),
      (families),
      (higher_educated),
      (minors),
      (randstad),
      (big_cities),
      (amsterdam_postcodes),
      (belgium),
      (sustainability_minded),
      (ios_app_users),
      (desktop_only),
      (loyal),
      (one_time_buyers),
      (never_ordered),
      (at_most_one_order_1y),
      (lapsed),
      (pricing_researchers),
      (email_engaged),
      (black_friday_shoppers),
      (recent_first_timers),
      (bargain_hunters),
      (explorers),
      (top_20pct),
      (top_100_last_year),
      (high_order_value),
      (promoters),
      (young_urban),
      (young_loyal),
      (vip_at_risk),
      (marketable_sustainable),
      (win_back),
      (lifecycle),
      (rfm),
      (spend_deciles)
    )
), segl_groups AS (
  SELECT
    CASE
      WHEN NOT young_adults IS NULL
      THEN 'segment'
      WHEN NOT high_income IS NULL
      THEN 'segment'
      WHEN NOT families IS NULL
      THEN 'segment'
      WHEN NOT higher_educated IS NULL
      THEN 'segment'
      WHEN NOT minors IS NULL
      THEN 'segment'
      WHEN NOT randstad IS NULL
      THEN 'segment'
      WHEN NOT big_cities IS NULL
      THEN 'segment'
      WHEN NOT amsterdam_postcodes IS NULL
      THEN 'segment'
      WHEN NOT belgium IS NULL
      THEN 'segment'
      WHEN NOT sustainability_minded IS NULL
      THEN 'segment'
      WHEN NOT ios_app_users IS NULL
      THEN 'segment'
      WHEN NOT desktop_only IS NULL
      THEN 'segment'
      WHEN NOT loyal IS NULL
      THEN 'segment'
      WHEN NOT one_time_buyers IS NULL
      THEN 'segment'
      WHEN NOT never_ordered IS NULL
      THEN 'segment'
      WHEN NOT at_most_one_order_1y IS NULL
      THEN 'segment'
      WHEN NOT lapsed IS NULL
      THEN 'segment'
      WHEN NOT pricing_researchers IS NULL
      THEN 'segment'
      WHEN NOT email_engaged IS NULL
      THEN 'segment'
      WHEN NOT black_friday_shoppers IS NULL
      THEN 'segment'
      WHEN NOT recent_first_timers IS NULL
      THEN 'segment'
      WHEN NOT bargain_hunters IS NULL
      THEN 'segment'
      WHEN NOT explorers IS NULL
      THEN 'segment'
      WHEN NOT top_20pct IS NULL
      THEN 'segment'
      WHEN NOT top_100_last_year IS NULL
      THEN 'segment'
      WHEN NOT high_order_value IS NULL
      THEN 'segment'
      WHEN NOT promoters IS NULL
      THEN 'segment'
      WHEN NOT young_urban IS NULL
      THEN 'segment'
      WHEN NOT young_loyal IS NULL
      THEN 'segment'
      WHEN NOT vip_at_risk IS NULL
      THEN 'segment'
      WHEN NOT marketable_sustainable IS NULL
      THEN 'segment'
      WHEN NOT win_back IS NULL
      THEN 'segment'
      WHEN NOT lifecycle IS NULL
      THEN 'bucket'
      WHEN NOT rfm IS NULL
      THEN 'bucket'
      WHEN NOT spend_deciles IS NULL
      THEN 'bucket'
      ELSE 'all'
    END AS segl_kind,
    CASE
      WHEN NOT young_adults IS NULL
      THEN 'young_adults'
      WHEN NOT high_income IS NULL
      THEN 'high_income'
      WHEN NOT families IS NULL
      THEN 'families'
      WHEN NOT higher_educated IS NULL
      THEN 'higher_educated'
      WHEN NOT minors IS NULL
      THEN 'minors'
      WHEN NOT randstad IS NULL
      THEN 'randstad'
      WHEN NOT big_cities IS NULL
      THEN 'big_cities'
      WHEN NOT amsterdam_postcodes IS NULL
      THEN 'amsterdam_postcodes'
      WHEN NOT belgium IS NULL
      THEN 'belgium'
      WHEN NOT sustainability_minded IS NULL
      THEN 'sustainability_minded'
      WHEN NOT ios_app_users IS NULL
      THEN 'ios_app_users'
      WHEN NOT desktop_only IS NULL
      THEN 'desktop_only'
      WHEN NOT loyal IS NULL
      THEN 'loyal'
      WHEN NOT one_time_buyers IS NULL
      THEN 'one_time_buyers'
      WHEN NOT never_ordered IS NULL
      THEN 'never_ordered'
      WHEN NOT at_most_one_order_1y IS NULL
      THEN 'at_most_one_order_1y'
      WHEN NOT lapsed IS NULL
      THEN 'lapsed'
      WHEN NOT pricing_researchers IS NULL
      THEN 'pricing_researchers'
      WHEN NOT email_engaged IS NULL
      THEN 'email_engaged'
      WHEN NOT black_friday_shoppers IS NULL
      THEN 'black_friday_shoppers'
      WHEN NOT recent_first_timers IS NULL
      THEN 'recent_first_timers'
      WHEN NOT bargain_hunters IS NULL
      THEN 'bargain_hunters'
      WHEN NOT explorers IS NULL
      THEN 'explorers'
      WHEN NOT top_20pct IS NULL
      THEN 'top_20pct'
      WHEN NOT top_100_last_year IS NULL
      THEN 'top_100_last_year'
      WHEN NOT high_order_value IS NULL
      THEN 'high_order_value'
      WHEN NOT promoters IS NULL
      THEN 'promoters'
      WHEN NOT young_urban IS NULL
      THEN 'young_urban'
      WHEN NOT young_loyal IS NULL
      THEN 'young_loyal'
      WHEN NOT vip_at_risk IS NULL
      THEN 'vip_at_risk'
      WHEN NOT marketable_sustainable IS NULL
      THEN 'marketable_sustainable'
      WHEN NOT win_back IS NULL
      THEN 'win_back'
      WHEN NOT lifecycle IS NULL
      THEN 'lifecycle.' || lifecycle
      WHEN NOT rfm IS NULL
      THEN 'rfm.' || rfm
      WHEN NOT spend_deciles IS NULL
      THEN 'spend_deciles.' || spend_deciles
      ELSE 'all'
    END AS segl_group,
    segl_members,
    revenue,
    orders_per_customer,
    aov,
    email_ctr,
    nps,
    avg_age,
    conversion,
    retention,
    churn,
    email_open_rate,
    csat,
    clv_proxy,
    email_roi,
    "share of spend_total",
    "share of spend_1y"
  FROM segl_grouped
  WHERE
    (
      young_adults IS NULL OR young_adults
    )
    AND (
      high_income IS NULL OR high_income
    )
    AND (
      families IS NULL OR families
    )
    AND (
      higher_educated IS NULL OR higher_educated
    )
    AND (
      minors IS NULL OR minors
    )
    AND (
      randstad IS NULL OR randstad
    )
    AND (
      big_cities IS NULL OR big_cities
    )
    AND (
      amsterdam_postcodes IS NULL OR amsterdam_postcodes
    )
    AND (
      belgium IS NULL OR belgium
    )
    AND (
      sustainability_minded IS NULL OR sustainability_minded
    )
    AND (
      ios_app_users IS NULL OR ios_app_users
    )
    AND (
      desktop_only IS NULL OR desktop_only
    )
    AND (
      loyal IS NULL OR loyal
    )
    AND (
      one_time_buyers IS NULL OR one_time_buyers
    )
    AND (
      never_ordered IS NULL OR never_ordered
    )
    AND (
      at_most_one_order_1y IS NULL OR at_most_one_order_1y
    )
    AND (
      lapsed IS NULL OR lapsed
    )
    AND (
      pricing_researchers IS NULL OR pricing_researchers
    )
    AND (
      email_engaged IS NULL OR email_engaged
    )
    AND (
      black_friday_shoppers IS NULL OR black_friday_shoppers
    )
    AND (
      recent_first_timers IS NULL OR recent_first_timers
    )
    AND (
      bargain_hunters IS NULL OR bargain_hunters
    )
    AND (
      explorers IS NULL OR explorers
    )
    AND (
      top_20pct IS NULL OR top_20pct
    )
    AND (
      top_100_last_year IS NULL OR top_100_last_year
    )
    AND (
      high_order_value IS NULL OR high_order_value
    )
    AND (
      promoters IS NULL OR promoters
    )
    AND (
      young_urban IS NULL OR young_urban
    )
    AND (
      young_loyal IS NULL OR young_loyal
    )
    AND (
      vip_at_risk IS NULL OR vip_at_risk
    )
    AND (
      marketable_sustainable IS NULL OR marketable_sustainable
    )
    AND (
      win_back IS NULL OR win_back
    )
)
SELECT
  segl_kind,
  segl_group,
  segl_members,
  revenue,
  orders_per_customer,
  aov,
  email_ctr,
  nps,
  avg_age,
  conversion,
  retention,
  churn,
  email_open_rate,
  csat,
  clv_proxy,
  email_roi,
  "share of spend_total",
  "share of spend_1y",
  CAST(revenue AS DOUBLE) * 100 / NULLIF(CAST(MAX(CASE WHEN segl_kind = 'all' THEN revenue END) OVER () AS DOUBLE), 0) AS revenue__index,
  CAST(orders_per_customer AS DOUBLE) * 100 / NULLIF(
    CAST(MAX(CASE WHEN segl_kind = 'all' THEN orders_per_customer END) OVER () AS DOUBLE),
    0
  ) AS orders_per_customer__index,
  CAST(aov AS DOUBLE) * 100 / NULLIF(CAST(MAX(CASE WHEN segl_kind = 'all' THEN aov END) OVER () AS DOUBLE), 0) AS aov__index,
  CAST(email_ctr AS DOUBLE) * 100 / NULLIF(CAST(MAX(CASE WHEN segl_kind = 'all' THEN email_ctr END) OVER () AS DOUBLE), 0) AS email_ctr__index,
  CAST(nps AS DOUBLE) * 100 / NULLIF(CAST(MAX(CASE WHEN segl_kind = 'all' THEN nps END) OVER () AS DOUBLE), 0) AS nps__index,
  CAST(avg_age AS DOUBLE) * 100 / NULLIF(CAST(MAX(CASE WHEN segl_kind = 'all' THEN avg_age END) OVER () AS DOUBLE), 0) AS avg_age__index,
  CAST(conversion AS DOUBLE) * 100 / NULLIF(CAST(MAX(CASE WHEN segl_kind = 'all' THEN conversion END) OVER () AS DOUBLE), 0) AS conversion__index,
  CAST(retention AS DOUBLE) * 100 / NULLIF(CAST(MAX(CASE WHEN segl_kind = 'all' THEN retention END) OVER () AS DOUBLE), 0) AS retention__index,
  CAST(churn AS DOUBLE) * 100 / NULLIF(CAST(MAX(CASE WHEN segl_kind = 'all' THEN churn END) OVER () AS DOUBLE), 0) AS churn__index,
  CAST(email_open_rate AS DOUBLE) * 100 / NULLIF(
    CAST(MAX(CASE WHEN segl_kind = 'all' THEN email_open_rate END) OVER () AS DOUBLE),
    0
  ) AS email_open_rate__index,
  CAST(csat AS DOUBLE) * 100 / NULLIF(CAST(MAX(CASE WHEN segl_kind = 'all' THEN csat END) OVER () AS DOUBLE), 0) AS csat__index,
  CAST(clv_proxy AS DOUBLE) * 100 / NULLIF(CAST(MAX(CASE WHEN segl_kind = 'all' THEN clv_proxy END) OVER () AS DOUBLE), 0) AS clv_proxy__index,
  CAST(email_roi AS DOUBLE) * 100 / NULLIF(CAST(MAX(CASE WHEN segl_kind = 'all' THEN email_roi END) OVER () AS DOUBLE), 0) AS email_roi__index,
  CAST("share of spend_total" AS DOUBLE) * 100 / NULLIF(
    CAST(MAX(CASE WHEN segl_kind = 'all' THEN "share of spend_total" END) OVER () AS DOUBLE),
    0
  ) AS "share of spend_total__index",
  CAST("share of spend_1y" AS DOUBLE) * 100 / NULLIF(
    CAST(MAX(CASE WHEN segl_kind = 'all' THEN "share of spend_1y" END) OVER () AS DOUBLE),
    0
  ) AS "share of spend_1y__index"
FROM segl_groups
ORDER BY
  CASE WHEN segl_kind = 'all' THEN 0 WHEN segl_kind = 'segment' THEN 1 ELSE 2 END,
  segl_group
