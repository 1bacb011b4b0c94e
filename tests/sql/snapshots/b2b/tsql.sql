-- segl 0.1.0
-- source: examples/b2b/accounts.seg
-- dialect: tsql
-- as_of: 2026-06-30
WITH agg_invoices AS (
  SELECT
    invoices.account_id AS _key,
    COUNT(*) AS invoices__m1,
    MAX(invoices.invoiced_at) AS invoices__m2,
    SUM(
      CASE
        WHEN invoices.invoiced_at >= CAST('2025-07-01 00:00:00' AS DATETIME2)
        THEN CAST(invoices.amount AS NUMERIC(38, 9))
      END
    ) AS invoices__m3,
    COUNT(DISTINCT invoices.product_line) AS invoices__m4
  FROM crm.invoices AS invoices
  WHERE
    invoices.invoiced_at < CAST('2026-07-01 00:00:00' AS DATETIME2)
  GROUP BY
    invoices.account_id
), agg_support_tickets AS (
  SELECT
    support_tickets.account_id AS _key,
    COUNT(
      CASE
        WHEN support_tickets.severity = 'critical'
        AND support_tickets.opened_at >= CAST('2026-04-02 00:00:00' AS DATETIME2)
        THEN 1
      END
    ) AS support_tickets__m1,
    COUNT(
      CASE
        WHEN support_tickets.resolved IS NULL OR NOT support_tickets.resolved = 1
        THEN 1
      END
    ) AS support_tickets__m2
  FROM crm.support_tickets AS support_tickets
  WHERE
    support_tickets.opened_at < CAST('2026-07-01 00:00:00' AS DATETIME2)
    AND (
      (
        support_tickets.severity = 'critical'
        AND support_tickets.opened_at >= CAST('2026-04-02 00:00:00' AS DATETIME2)
      )
      OR (
        support_tickets.resolved IS NULL OR NOT support_tickets.resolved = 1
      )
    )
  GROUP BY
    support_tickets.account_id
), base AS (
  SELECT
    account.account_id AS account_id,
    account.employees AS employees,
    account.plan AS plan,
    account.industry AS industry,
    account.country AS country,
    account.sites AS sites,
    account.annual_revenue AS annual_revenue,
    account.created_at AS created_at,
    COALESCE(agg_invoices.invoices__m1, 0) AS invoices__m1,
    agg_invoices.invoices__m2 AS invoices__m2,
    COALESCE(agg_invoices.invoices__m3, 0) AS invoices__m3,
    COALESCE(agg_invoices.invoices__m4, 0) AS invoices__m4,
    COALESCE(agg_support_tickets.support_tickets__m1, 0) AS support_tickets__m1,
    COALESCE(agg_support_tickets.support_tickets__m2, 0) AS support_tickets__m2
  FROM crm.accounts AS account
  LEFT JOIN agg_invoices
    ON agg_invoices._key = account.account_id
  LEFT JOIN agg_support_tickets
    ON agg_support_tickets._key = account.account_id
), step_1 AS (
  SELECT
    *,
    CASE
      WHEN employees >= 1000 AND (
        plan IS NULL OR plan <> 'enterprise'
      )
      THEN 1
      ELSE 0
    END AS enterprise_prospects,
    CASE WHEN industry = 'manufacturing' AND country = 'NL' THEN 1 ELSE 0 END AS manufacturing_nl,
    CASE WHEN sites >= 10 THEN 1 ELSE 0 END AS multi_site,
    CASE WHEN annual_revenue >= 50000000 THEN 1 ELSE 0 END AS large_revenue,
    CASE WHEN employees < 50 OR employees IS NULL THEN 1 ELSE 0 END AS small_business,
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
    account_id AS _key,
    ROW_NUMBER() OVER (
      ORDER BY revenue_12m DESC, CASE WHEN account_id IS NULL THEN 1 ELSE 0 END, account_id
    ) AS _position,
    COUNT(*) OVER (
      ORDER BY revenue_12m DESC, account_id
      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
    ) AS _count
  FROM step_1
), step_2 AS (
  SELECT
    step_1.*,
    CASE WHEN invoices_total = 0 THEN 1 ELSE 0 END AS never_invoiced,
    CASE
      WHEN invoices_total > 0
      AND DATEDIFF(DAY, CAST(last_invoice AS DATE), CAST('2026-06-30' AS DATE)) > 365
      THEN 1
      ELSE 0
    END AS churn_risk,
    CASE WHEN critical_tickets_90d >= 1 OR open_tickets >= 3 THEN 1 ELSE 0 END AS support_heavy,
    CASE
      WHEN ranked_rank_1._position * 100 <= 10 * ranked_rank_1._count
      THEN 1
      ELSE 0
    END AS _rank_1,
    CASE
      WHEN product_lines = 1 AND revenue_12m > 0 AND account_age_years >= 2
      THEN 1
      ELSE 0
    END AS cross_sell
  FROM step_1
  LEFT JOIN ranked_rank_1
    ON ranked_rank_1._key = step_1.account_id
), step_3 AS (
  SELECT
    *,
    CASE WHEN _rank_1 = 1 THEN 1 ELSE 0 END AS key_accounts
  FROM step_2
), step_4 AS (
  SELECT
    *,
    CASE WHEN key_accounts = 1 AND NOT support_heavy = 1 THEN 1 ELSE 0 END AS healthy_key_accounts
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
