-- segl 0.1.0
-- source: examples/b2b/accounts.seg
-- dialect: duckdb
-- as_of: 2026-06-30
WITH agg_invoices AS (
  SELECT
    invoices.account_id AS _key,
    COUNT(*) AS invoices__m1,
    MAX(invoices.invoiced_at) AS invoices__m2,
    SUM(
      CASE
        WHEN invoices.invoiced_at >= CAST('2025-07-01 00:00:00' AS TIMESTAMP)
        THEN CAST(invoices.amount AS DECIMAL(38, 9))
      END
    ) AS invoices__m3,
    COUNT(DISTINCT invoices.product_line) AS invoices__m4
  FROM READ_PARQUET('examples/b2b/data/invoices.parquet') AS invoices
  WHERE
    invoices.invoiced_at < CAST('2026-07-01 00:00:00' AS TIMESTAMP)
  GROUP BY
    invoices.account_id
), agg_support_tickets AS (
  SELECT
    support_tickets.account_id AS _key,
    COUNT(
      CASE
        WHEN support_tickets.severity = 'critical'
        AND support_tickets.opened_at >= CAST('2026-04-02 00:00:00' AS TIMESTAMP)
        THEN 1
      END
    ) AS support_tickets__m1,
    COUNT(
      CASE
        WHEN support_tickets.resolved IS NULL OR NOT support_tickets.resolved
        THEN 1
      END
    ) AS support_tickets__m2
  FROM READ_PARQUET('examples/b2b/data/support_tickets.parquet') AS support_tickets
  WHERE
    support_tickets.opened_at < CAST('2026-07-01 00:00:00' AS TIMESTAMP)
    AND (
      (
        support_tickets.severity = 'critical'
        AND support_tickets.opened_at >= CAST('2026-04-02 00:00:00' AS TIMESTAMP)
      )
      OR (
        support_tickets.resolved IS NULL OR NOT support_tickets.resolved
      )
    )
  GROUP BY
    support_tickets.account_id
), base AS (
  SELECT
    account.account_id,
    account.employees,
    account.plan,
    account.industry,
    account.country,
    account.sites,
    account.annual_revenue,
    account.created_at,
    COALESCE(agg_invoices.invoices__m1, 0) AS invoices__m1,
    agg_invoices.invoices__m2 AS invoices__m2,
    COALESCE(agg_invoices.invoices__m3, 0) AS invoices__m3,
    COALESCE(agg_invoices.invoices__m4, 0) AS invoices__m4,
    COALESCE(agg_support_tickets.support_tickets__m1, 0) AS support_tickets__m1,
    COALESCE(agg_support_tickets.support_tickets__m2, 0) AS support_tickets__m2
  FROM READ_PARQUET('examples/b2b/data/accounts.parquet') AS account
  LEFT JOIN agg_invoices
    ON agg_invoices._key = account.account_id
  LEFT JOIN agg_support_tickets
    ON agg_support_tickets._key = account.account_id
), step_1 AS (
  SELECT
    *,
    COALESCE(employees >= 1000 AND (
      plan IS NULL OR plan <> 'enterprise'
    ), FALSE) AS enterprise_prospects,
    COALESCE(industry = 'manufacturing' AND country = 'NL', FALSE) AS manufacturing_nl,
    COALESCE(sites >= 10, FALSE) AS multi_site,
    COALESCE(annual_revenue >= 50000000, FALSE) AS large_revenue,
    COALESCE(employees < 50 OR employees IS NULL, FALSE) AS small_business,
    invoices__m1 AS invoices_total,
    invoices__m2 AS last_invoice,
    support_tickets__m1 AS critical_tickets_90d,
    support_tickets__m2 AS open_tickets,
    invoices__m3 AS revenue_12m,
    invoices__m4 AS product_lines,
    (
      YEAR(CAST('2026-06-30' AS DATE)) - YEAR(CAST(created_at AS DATE))
    ) - CASE
      WHEN MONTH(CAST('2026-06-30' AS DATE)) * 100 + DAY(CAST('2026-06-30' AS DATE)) < MONTH(CAST(created_at AS DATE)) * 100 + DAY(CAST(created_at AS DATE))
      THEN 1
      ELSE 0
    END AS account_age_years
  FROM base
), ranked_rank_1 AS (
  SELECT
    account_id AS _key
  FROM step_1
  ORDER BY
    revenue_12m DESC,
    account_id
  LIMIT (
    SELECT
      10 * COUNT(*) // 100
    FROM step_1
  )
), step_2 AS (
  SELECT
    step_1.*,
    COALESCE(invoices_total = 0, FALSE) AS never_invoiced,
    COALESCE(
      invoices_total > 0
      AND DATE_DIFF('DAY', CAST(last_invoice AS DATE), CAST('2026-06-30' AS DATE)) > 365,
      FALSE
    ) AS churn_risk,
    COALESCE(critical_tickets_90d >= 1 OR open_tickets >= 3, FALSE) AS support_heavy,
    COALESCE(NOT ranked_rank_1._key IS NULL, FALSE) AS _rank_1,
    COALESCE(product_lines = 1 AND revenue_12m > 0 AND account_age_years >= 2, FALSE) AS cross_sell
  FROM step_1
  LEFT JOIN ranked_rank_1
    ON ranked_rank_1._key = step_1.account_id
), step_3 AS (
  SELECT
    *,
    COALESCE(_rank_1, FALSE) AS key_accounts
  FROM step_2
), step_4 AS (
  SELECT
    *,
    COALESCE(key_accounts AND NOT support_heavy, FALSE) AS healthy_key_accounts
  FROM step_3
)
SELECT
  account_id,
  enterprise_prospects,
  manufacturing_nl,
  multi_site,
  large_revenue,
  small_business,
  never_invoiced,
  churn_risk,
  support_heavy,
  key_accounts,
  cross_sell,
  healthy_key_accounts
FROM step_4
ORDER BY
  account_id
