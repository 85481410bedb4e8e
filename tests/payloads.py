"""The spec's example payloads, field for field."""

from __future__ import annotations

from typing import Any

TRADER: dict[str, Any] = {
    "traderId": "123456789",
    "nickName": "CryptoMaster",
    "followersCount": 1000,
    "totalProfit": "150.45",
    "monthlyProfit": "12.34",
    "winRate": "0.65",
    "description": "Professional crypto trader",
    "tradingDays": 365,
    "riskLevel": "medium",
    "status": "active",
}

TRADER_DETAIL: dict[str, Any] = {
    **TRADER,
    "statistics": {
        "totalTrades": 1000,
        "winningTrades": 650,
        "averageHoldingTime": "2.5",
        "maxDrawdown": "15.5",
        "sharpeRatio": "2.1",
    },
    "positions": [
        {
            "symbol": "BTCUSDT",
            "side": "long",
            "size": "0.1",
            "entryPrice": "30000.50",
            "leverage": "10",
            "unrealizedPnl": "123.45",
        }
    ],
}

FOLLOW: dict[str, Any] = {
    "followId": "987654321",
    "traderId": "123456789",
    "copyAmount": "1000",
    "leverage": "10",
    "marginMode": "isolated",
    "status": "active",
}

STOPPED: dict[str, Any] = {"followId": "987654321", "status": "stopped"}

SETTINGS: dict[str, Any] = {
    "followId": "987654321",
    "copyAmount": "1500",
    "leverage": "10",
    "takeProfit": "50",
    "stopLoss": "20",
    "status": "active",
}

ORDER: dict[str, Any] = {
    "orderId": "123456789",
    "symbol": "BTCUSDT",
    "side": "buy",
    "size": "0.1",
    "entryPrice": "30000.50",
    "exitPrice": "31000.50",
    "profit": "100.00",
    "leverage": "10",
    "status": "closed",
    "createTime": 1621441751927,
    "closeTime": 1621441851927,
}

POSITION: dict[str, Any] = {
    "symbol": "BTCUSDT",
    "side": "long",
    "size": "0.1",
    "entryPrice": "30000.50",
    "markPrice": "31000.50",
    "unrealizedPnl": "100.00",
    "leverage": "10",
    "marginMode": "isolated",
    "createTime": 1621441751927,
}


def page(
    items: list[dict[str, Any]], *, total_page: int, current: int, size: int = 20
) -> dict[str, Any]:
    return {
        "totalPage": total_page,
        "totalNum": total_page * size,
        "currentPage": current,
        "pageSize": size,
        "list": items,
    }
