"""What every column of every table marketsim writes is, and in which unit: one :class:`Column` per
column, in dictionaries by table (model.csv, firms.csv, summary.json, the sweep and sensitivity
tables, and scenario key paths as sweep grid columns).

Units are concrete; ``{period}``, ``{periods}`` and ``{per_year}`` in a unit or description are
filled in from ``meta.periods_per_year`` by :func:`marketsim.sim.tables.describe`. The order of
:data:`MODEL` and :data:`FIRMS` is the column order of model.csv and firms.csv.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Column", "UnknownColumnError", "MODEL", "FIRMS", "MODEL_COLUMNS", "FIRM_COLUMNS", "SUMMARY", "SWEEP",
           "SENSITIVITY", "PARAMETERS", "TEXT_UNIT", "STATICS_POINTS"]


@dataclass(frozen=True)
class Column:
    """Unit and meaning of one column.

    ``unit`` and ``description`` may contain ``{period}`` (one period, e.g. "quarter"),
    ``{periods}`` (plural) and ``{per_year}`` (periods per year), filled in by :func:`describe`.

    Attributes:
        unit: concrete unit, e.g. "dollars per {period}", "fraction 0-1", "text".
        description: what the value is, in one or two sentences.
        ratio_scale: a percent change is meaningful (False for calendar years, text, flags).
        diff_unit: unit of a difference of two values, when it is not ``unit`` (a difference of
            calendar years is in years).
    """

    unit: str
    description: str
    ratio_scale: bool = True
    diff_unit: str | None = None


class UnknownColumnError(ValueError):
    """Columns (or a table) that have no entry here (raised by :mod:`marketsim.sim.tables`)."""


# Units shared by many columns.
#: Unit of text columns (names, labels, messages).
TEXT_UNIT = _TEXT = "text"
_FLAG = "true/false"
_SHARE = "fraction 0-1"
_SHARE_DIFF = "fraction (difference, -1 to 1)"
_YEAR = "calendar year (decimal)"


def _text(description: str) -> Column:
    return Column(_TEXT, description, ratio_scale=False)


def _share(description: str) -> Column:
    return Column(_SHARE, description, diff_unit=_SHARE_DIFF)


def _calendar(description: str) -> Column:
    return Column(_YEAR, description, ratio_scale=False, diff_unit="years")


# --- simulation tables ---------------------------------------------------------------------------

_TIME = {
    "step": Column("{periods} since the start", "Period index; step 0 is the first period, which starts at "
                   "meta.start_year.", ratio_scale=False),
    "year": _calendar("Calendar year at the start of the period (meta.start_year + step / {per_year})."),
}

#: model.csv: one row per period (MarketModel.model_table).
MODEL: dict[str, Column] = {
    **_TIME,
    "E": Column("FLOP per dollar", "Hardware price-performance E(t): compute bought per dollar, for "
                "training and serving."),
    "data_stock": Column("effective tokens", "Usable stock of training data D_bar(t); a firm can train "
                         "on data_stock / rho_D raw tokens."),
    "rho_D": Column("dimensionless multiplier (1 = baseline)", "Data efficiency rho_D(t): one raw "
                    "token counts as rho_D effective tokens."),
    "rho_N": Column("dimensionless multiplier (1 = baseline)", "Parameter efficiency rho_N(t): one "
                    "parameter counts as rho_N effective parameters."),
    "population": Column("people", "Market size M(t): people who could adopt a model."),
    "aware_share": _share("Share of the population that knows the product and can adopt this {period} "
                          "(the diffusion curve of consumers.awareness_midpoint_year; 1 without one)."),
    "adopters": Column("people", "People using some model this {period}."),
    "adoption_share": _share("Share of the population using some model this {period}."),
    "training_spend": Column("dollars per {period}", "Training cost paid by all firms this {period} "
                             "(a training run is paid in full in the {period} it starts)."),
    "training_spend_annual": Column("dollars per year", "Training spend over the last year: "
                                    "training_spend summed over the last {per_year} {periods}, this one "
                                    "included."),
    "largest_N": Column("parameters", "Parameters of the largest model on sale this {period} (0 if "
                        "none)."),
    "largest_D": Column("tokens", "Most training tokens of any model on sale this {period} (0 if none)."),
    "best_loss": Column("nats per token", "Lowest loss L of any model on sale this {period}; empty when "
                        "no model is on sale."),
    "hhi": Column("index 0-1", "Herfindahl-Hirschman index of the firms' adopter shares (sum of "
                  "squared shares; 1 = one firm serves everyone); 0 when nobody adopts.",
                  diff_unit="index points (-1 to 1)"),
    "consumer_surplus": Column("dollars per {period}", "Adopters' surplus this {period}: the utility "
                               "gain of the chosen model over buying nothing in dollars, (R_ref / R)^kappa "
                               "(ln(R_front / R) - market.outside_option) / price_sensitivity, minus the "
                               "price paid, summed over adopters (docs/theory.md §11); empty when "
                               "price_sensitivity is 0."),
    "firms_alive": Column("firms", "Firms in the market at the end of the {period}: entered and not exited "
                          "(potential entrants and firms before their entry year are not counted)."),
    "entries": Column("firms per {period}", "Firms that entered the market this {period} (a potential "
                      "entrant whose expected profit net of its entry cost turned positive, or a firm whose "
                      "firms.entry_year came; docs/theory.md, Entry and exit)."),
    "exits": Column("firms per {period}", "Firms that exited this {period} (firms.csv exit_reason says why)."),
    "mean_price": Column("dollars per adopter per {period}", "Adopter-weighted mean price paid for the "
                         "models chosen this {period}; 0 when nobody adopts."),
    "price_index_adj": Column("dollars per adopter per {period} at the reference loss", "Quality-adjusted "
                              "price index: adopter-weighted mean of the chosen models' quality-adjusted "
                              "prices price x (R / R_ref)^kappa (firms.csv price_adj); 0 when nobody adopts."),
    "data_bound_firms": Column("firms", "Firms in the market whose latest decision is at the data wall "
                               "(firms.csv regime data-bound or capped; marketsim.sim.regimes); the figures "
                               "shade these {periods}."),
}

#: firms.csv: one row per firm per period (MarketModel.firm_table).
FIRMS: dict[str, Column] = {
    **_TIME,
    "firm": _text("Firm name (firms.name in the scenario)."),
    "strategy": _text("The firm's decision rule (firms.strategy: profit_optimal, fixed_growth, "
                      "open_weights or a registered strategy)."),
    "alive": Column(_FLAG, "False once the firm has exited (its cash fell below its credit limit).",
                    ratio_scale=False),
    "N": Column("parameters", "Parameters of the firm's model on sale this {period} (0 if none)."),
    "D": Column("tokens", "Training tokens of the firm's model on sale (0 if none)."),
    "loss": Column("nats per token", "Loss L of the firm's model on sale; empty if it has none on sale."),
    "compute": Column("FLOP", "Training compute 6 N D of the firm's model on sale (0 if none)."),
    "price": Column("dollars per adopter per {period}", "Price an adopter pays this {period} (revenue = "
                    "adopters x price): price_adj x (R_ref / R)^kappa for the firm's model of reducible loss "
                    "R; empty when the firm has no model on sale."),
    "price_per_mtok": Column("dollars per million tokens", "price / consumers.tokens_per_adopter_per_period "
                             "x 1e6; empty when the firm has no model on sale."),
    "price_adj": Column("dollars per adopter per {period} at the reference loss", "Quality-adjusted price: "
                        "price x (R / R_ref)^kappa, the price of the firm's model at the reference loss R_ref "
                        "(what consumers' utility compares; set by firms.pricing, docs/theory.md, Prices); "
                        "empty when the firm has no model on sale."),
    "markup": Column("dollars per adopter per {period}", "price minus the serving cost per adopter "
                     "(2 N T / E); empty when the firm has no model on sale."),
    "adopters": Column("people", "People using the firm's model this {period}."),
    "share": _share("The firm's share of all adopters this {period}."),
    "revenue": Column("dollars per {period}", "Revenue from the firm's adopters this {period}."),
    "serving_cost": Column("dollars per {period}", "Cost of serving the firm's adopters this {period}: "
                           "adopters x 2 f N T / E (T = consumers.tokens_per_adopter_per_period, f = consumers.active_parameter_fraction)."),
    "training_cost": Column("dollars per {period}", "Training cost paid this {period}; a training run "
                            "is paid in full in the {period} it starts."),
    "fixed_cost": Column("dollars per {period}", "Fixed cost paid this {period} "
                         "(firms.fixed_cost_per_period)."),
    "profit": Column("dollars per {period}", "revenue - serving_cost - training_cost - fixed_cost - "
                     "entry_cost this {period}."),
    "cash": Column("dollars", "Cash at the end of the {period} (a stock, not a flow); negative = "
                   "borrowed on the credit line. cash = previous cash + revenue - serving_cost - training_cost "
                   "- fixed_cost - entry_cost + raised - paid_out."),
    "raised": Column("dollars per {period}", "Equity raised from investors this {period} to pay for a "
                     "training run that cash and the credit line could not, or the whole cost of a research "
                     "run (firms.research_budget; docs/theory.md, Money)."),
    "paid_out": Column("dollars per {period}", "Cash returned to owners this {period}: cash above the "
                       "firm's reserve (firms.payout_reserve_periods; docs/theory.md, Money)."),
    "debt": Column("dollars", "Borrowed on the credit line at the end of the {period}: max(-cash, 0)."),
    "training": Column(_FLAG, "Whether a model is in training (started, not yet released) at the end of "
                       "the {period}.", ratio_scale=False),
    # marketsim.sim.regimes; docs/theory.md §4
    "regime": _text("Regime of the firm's latest decision (the model it trained, or the best new model it "
                    "considered): compute-bound (D below the usable stock data_stock / rho_D), data-bound "
                    "(D at the stock, N below N_match(D)) or capped (D at the stock, N at N_match(D): spend "
                    "~ D_bar^2/E); kept between decisions; empty before the first."),
    "binding": _text("Constraint that stopped a larger model at the latest decision: budget (it costs what "
                     "the firm can finance), data (at the data wall) or none; empty before the first decision."),
    "decision": _text("What the firm did this {period} and why: trained; trained: research budget (the "
                      "compute-optimal model of firms.research_budget, funded from outside); kept: new model would not pay; "
                      "kept: at the data wall, no better model than the current one; kept: no new model "
                      "earns a profit; skipped by the strategy; no budget: cannot finance the planned model; "
                      "not due; in training; exited: <exit_reason> (the {period} it leaves); exited (after "
                      "it left); not entered."),
    "in_market": Column(_FLAG, "Whether the firm is in the market this {period}: entered and not exited (a "
                        "potential entrant is outside until it enters; docs/theory.md, Entry and exit).",
                        ratio_scale=False),
    "entry_cost": Column("dollars per {period}", "Entry cost paid this {period} (firms.entry_cost, in the "
                         "{period} the firm enters; included in profit and cash)."),
    "expected_profit": Column("dollars over the firm's horizon", "Expected profit that decided entry or exit "
                              "this {period}: for a potential entrant the margin of entering (expected "
                              "profit net of the entry cost; an open-weights lab: funding left after the "
                              "entry cost and its first model), for a firm in the market the value of "
                              "staying (market.exit_after_loss_periods); empty when not judged (or, for an open-weights entrant, "
                              "while its leader has no model to follow)."),
    "exit_reason": _text("Why the firm exited: insolvent (cash below its credit limit) or persistent losses "
                         "(expected profit negative market.exit_after_loss_periods {periods} in a row); "
                         "empty while it is in the market."),
}

#: Columns of model.csv after ``step`` and of firms.csv after ``step, year`` (MarketModel tables), in order.
MODEL_COLUMNS: list[str] = [name for name in MODEL if name != "step"]
FIRM_COLUMNS: list[str] = [name for name in FIRMS if name not in _TIME]

#: summary.json (one run), the rows of comparison.csv and the summary columns of summary.parquet.
SUMMARY: dict[str, Column] = {
    "scenario": _text("Scenario name: meta.name, or the label given to `marketsim compare`."),
    "seed": Column("integer", "Seed of the model's random generator.", ratio_scale=False),
    "marketsim_version": _text("marketsim version that wrote the run."),
    "start_year": _calendar("Calendar year at the start of the run (meta.start_year)."),
    "end_year": _calendar("Calendar year at the end of the last simulated period."),
    "years": Column("years", "Simulated length."),
    "periods": Column("{periods}", "Simulated periods (rows of model.csv)."),
    "final_adoption_share": _share("Share of the population using some model in the last period."),
    "final_adopters": Column("people", "People using some model in the last period."),
    "largest_N": Column("parameters", "Parameters of the largest model on sale at any time in the run."),
    "largest_D": Column("tokens", "Most training tokens of any model on sale at any time in the run."),
    "best_loss": Column("nats per token", "Lowest loss L of any model on sale at any time in the run; "
                        "empty (null) if no model was ever on sale."),
    "cumulative_training_spend": Column("dollars", "Training spend of all firms summed over the run."),
    "final_training_spend_annual": Column("dollars per year", "Training spend of all firms over the "
                                          "last year of the run (model.csv training_spend_annual)."),
    "year_adoption_passes_50pct": _calendar("Start of the first period in which at least half of the "
                                            "population uses a model; empty (null) if never."),
    "final_hhi": Column("index 0-1", "Herfindahl-Hirschman index of adopter shares in the last period.",
                        diff_unit="index points (-1 to 1)"),
    "firms_alive": Column("firms", "Firms in the market at the end of the run (model.csv firms_alive in the "
                          "last period)."),
    "ended_early_year": _calendar("Calendar year at which the run stopped before its horizon because "
                                  "every firm had exited; empty (null) if the run reached its horizon."),
    "final_leader": _text("Firm with the largest share of adopters in the last period; empty (null) if "
                          "nobody adopts."),
    "python_version": _text("Python version that ran the model."),
    "numpy_version": _text("numpy version that ran the model."),
    "pandas_version": _text("pandas version that ran the model."),
    "mesa_version": _text("Mesa version that ran the model."),
    "platform": _text("Operating system and machine that ran the model."),
}

# --- sweep and sensitivity tables ------------------------------------------------------------------

#: Columns a sweep adds to runs.parquet and summary.parquet (besides grid parameters).
SWEEP: dict[str, Column] = {
    "run_id": _text("Run identifier (a hash of the grid values and the seed); names runs/<run_id>.parquet."),
    "seed": SUMMARY["seed"],
    "status": _text("done (finished), failed (see failures/<run_id>.json) or missing (not run yet)."),
    "error": _text("Error type and message of a failed run; empty otherwise."),
}

_SOBOL_UNIT = "fraction of output variance (dimensionless)"

#: sensitivity.csv: one row per varied parameter.
SENSITIVITY: dict[str, Column] = {
    "parameter": _text("Scenario key path varied uniformly between its --param bounds."),
    "S1": Column(_SOBOL_UNIT, "First-order Sobol' index: share of the output metric's variance due to "
                 "this parameter alone."),
    "S1_conf": Column(_SOBOL_UNIT, "Half-width of the 95% bootstrap confidence interval of S1."),
    "ST": Column(_SOBOL_UNIT, "Total-order Sobol' index: share of the output metric's variance due to "
                 "this parameter, its interactions included."),
    "ST_conf": Column(_SOBOL_UNIT, "Half-width of the 95% bootstrap confidence interval of ST."),
}

#: statics_points.csv of ``marketsim statics``: one row per model generation per design group.
STATICS_POINTS: dict[str, Column] = {
    "group": _text("Design group: E (hardware level, data stock open), rho_D (data efficiency, stock open), "
                   "databound_E or databound_Dbar (small binding stock; E level or stock varied)."),
    "factor": Column("multiplier (1 = the group's centre)", "Factor applied to the group's varied input."),
    "run_id": _text("Run of the design (hash of its overrides and seed)."),
    "firm": _text("Firm name."),
    "generation": Column("index from 0", "The firm's k-th training start in the run (its fixed effect).",
                         ratio_scale=False),
    "start_step": Column("{periods} since the start", "Period the training started.", ratio_scale=False),
    "year": _calendar("Calendar year the training started."),
    "E": Column("FLOP per dollar", "Hardware price-performance when the training started."),
    "rho_D": Column("dimensionless multiplier", "Data efficiency when the training started."),
    "D_bar": Column("raw tokens", "Usable data stock when the training started: effective stock / rho_D."),
    "N": Column("parameters", "Parameters of the generation's model."),
    "D": Column("raw tokens", "Training tokens of the generation's model."),
    "compute": Column("FLOP", "Training compute 6 N D."),
    "spend": Column("dollars", "Training cost paid at the start, 6 N D / E."),
    "N_match": Column("parameters", "Compute-optimal parameters for D tokens: the cap on N once data binds."),
    "regime": _text("compute-bound (D below the stock), data-bound (D at the stock, N below N_match) or "
                    "capped (D at the stock, N at N_match)."),
    "binding": _text("Constraint that stopped a larger model at the start: data, budget or none "
                     "(firms.csv binding)."),
    "used": Column(_FLAG, "Whether the point enters its group's fits (its regime is the group's and the "
                   "budget did not bind).",
                   ratio_scale=False),
}

# --- scenario values (sweep grid columns are scenario key paths) --------------------------------


def _param(unit: str, description: str, ratio_scale: bool = True) -> Column:
    return Column(unit, description, ratio_scale=ratio_scale)


_FACTOR = "factor per year (1 = constant)"
_NATS = "nats per token (on reducible loss R)"

#: Scenario values by key path without list indices (``firms.price`` for ``firms.0.price``).
PARAMETERS: dict[str, Column] = {
    "meta.name": _text("Scenario name."),
    "meta.description": _text("Free text; its first line is the one-line summary."),
    "meta.seed": Column("integer", "Seed of the model's random generator.", ratio_scale=False),
    "meta.start_year": _calendar("Calendar year at t = 0."),
    "meta.years": _param("years", "Simulated length."),
    "meta.periods_per_year": _param("periods per year", "Periods per year (4 = quarterly decisions)."),
    "scaling.preset": _text("Named constants of the loss law L(N, D) = E0 + A N^-alpha + B D^-beta."),
    "scaling.closure": _text("Data-bound closure: cap limits N to N_match(D_bar); additive is the plain law."),
    "scaling.E0": _param("nats per token", "Irreducible loss of the scaling law."),
    "scaling.A": _param("nats per token x parameters^alpha", "Coefficient of the parameter term."),
    "scaling.B": _param("nats per token x tokens^beta", "Coefficient of the data term."),
    "scaling.alpha": _param("dimensionless exponent", "Exponent of the parameter term."),
    "scaling.beta": _param("dimensionless exponent", "Exponent of the data term."),
    "scaling.parameter_efficiency": _param("dimensionless multiplier", "Parameter efficiency rho_N at "
                                           "meta.start_year."),
    "scaling.parameter_efficiency_growth_per_year": _param(_FACTOR, "Growth of rho_N per year."),
    "hardware.flop_per_dollar": _param("FLOP per dollar", "Hardware price-performance E at meta.start_year."),
    "hardware.growth_per_year": _param(_FACTOR, "Growth of E per year until hardware.stall_year."),
    "hardware.stall_year": _calendar("Calendar year after which E grows at growth_after_stall; empty: never."),
    "hardware.growth_after_stall": _param(_FACTOR, "Growth of E per year after hardware.stall_year."),
    "data.stock_tokens": _param("effective tokens", "Usable data stock D_bar at meta.start_year."),
    "data.stock_growth_per_year": _param(_FACTOR, "Growth of the data stock per year."),
    "data.efficiency": _param("dimensionless multiplier", "Data efficiency rho_D at meta.start_year."),
    "data.efficiency_growth_per_year": _param(_FACTOR, "Growth of rho_D per year."),
    "data.cost_per_token": _param("dollars per training token", "Data cost c_D."),
    "consumers.count": _param("simulated consumers", "Each stands for population / count people."),
    "consumers.population": _param("people", "Market size at meta.start_year."),
    "consumers.population_growth_per_year": _param(_FACTOR, "Growth of the population per year."),
    "consumers.family": _text("Distribution family of consumers' quality thresholds."),
    "consumers.median_threshold": _param(_NATS, "Median threshold of the lognormal family."),
    "consumers.sigma": _param("dimensionless (spread of ln threshold)", "Lognormal spread of thresholds."),
    "consumers.pareto_max_threshold": _param(_NATS, "Largest threshold of the pareto family."),
    "consumers.pareto_k": _param("dimensionless exponent", "Shape of the pareto family."),
    "consumers.loguniform_min": _param(_NATS, "Smallest threshold of the loguniform family."),
    "consumers.loguniform_max": _param(_NATS, "Largest threshold of the loguniform family."),
    "consumers.value_exponent": _param("dimensionless exponent", "kappa: value per adopter grows as "
                                       "(R_ref / R)^kappa."),
    "consumers.tokens_per_adopter_per_period": _param("tokens per adopter per {period}", "T: tokens "
                                                      "served to each adopter."),
    "consumers.active_parameter_fraction": _param("share 0-1", "Share of N active per served token "
                                                  "(mixture of experts); serving costs 2 f N T / E."),
    "consumers.awareness_midpoint_year": _param("calendar year", "Year half the population knows the "
                                                "product (logistic diffusion; empty: everyone from the start)."),
    "consumers.awareness_rate_per_year": _param("per year", "Slope of the logistic diffusion curve."),
    "consumers.price_sensitivity": _param("ln-R utility per dollar", "Converts price into utility, and "
                                          "surplus into dollars."),
    "consumers.switching_cost": _param("ln-R utility", "Utility penalty for changing model."),
    "market.logit_lambda": _param("ln-R utility", "Logit noise of consumers' choice among models."),
    "market.damping": _param("weight 0-1", "Weight on the new best response in damped updates."),
    "firms.name": _text("Firm name."),
    "firms.strategy": _text("Decision rule."),
    "firms.price": _param("dollars per adopter per {period}", "Fixed quality-adjusted price (price at the "
                          "reference loss) when firms.pricing is fixed."),
    "firms.pricing": _text("best_response (Nash equilibrium price each {period}) or fixed (firms.price)."),
    "market.outside_option": _param("ln-R utility", "Utility of buying no model, relative to the best "
                                    "model on sale at price 0.", ratio_scale=False),
    "firms.cash": _param("dollars", "Cash at the start (or at entry)."),
    "firms.credit_limit": _param("dollars", "The firm exits when its cash falls below this."),
    "firms.retrain_every_periods": _param("{periods}", "Time between model generations."),
    "firms.training_lag_periods": _param("{periods}", "Time between starting and releasing a model."),
    "firms.horizon_periods": _param("{periods}", "Time over which a new model's profit is evaluated."),
    "firms.fixed_cost_per_period": _param("dollars per {period}", "Costs paid whatever the firm sells."),
    "firms.entry_year": _calendar("Calendar year of entry (a potential entrant's earliest); empty: from the start."),
    "firms.potential": Column(_FLAG, "A potential entrant: enters only when entering is expected to pay.",
                              ratio_scale=False),
    "firms.entry_cost": _param("dollars", "Cost paid once on entering."),
    "firms.lag_rule": _text("open_weights: fixed (lag_periods) or cost (follow once the discounted cost fits "
                            "follow_budget)."),
    "firms.imitation_discount": _param("fraction 0-1", "open_weights: share of the training cost saved by "
                                       "imitating the leader."),
    "firms.follow_budget": _param("dollars", "open_weights: most spent on one model (lag_rule cost)."),
    "market.exit_after_loss_periods": _param("{periods}", "A firm exits after this many {periods} of negative "
                                             "expected profit; empty: on insolvency only."),
    "firms.growth_factor_per_year": _param(_FACTOR, "fixed_growth: growth of training spend per year."),
    "firms.initial_spend": _param("dollars", "fixed_growth: first training spend."),
    "firms.leader": _text("open_weights: name of the firm followed."),
    "firms.lag_periods": _param("{periods}", "open_weights: time behind the leader's releases."),
    "firms.compute_fraction": _param("fraction 0-1", "open_weights: fraction of the leader's compute used."),
    "firms.equity_multiple": _param("dimensionless multiple", "Investors fund training up to this multiple of "
                                    "the expected horizon operating profit."),
    "firms.payout_reserve_periods": _param("{periods}", "Fixed plus expected training cost kept as cash; the "
                                           "rest is paid out."),
    "firms.research_budget": _param("dollars per year", "Training compute spent on research runs whatever the "
                                    "revenue, at the start or entry year (docs/theory.md §12.1)."),
    "firms.research_budget_growth_per_year": _param("factor per year", "Growth of the research budget."),
}
