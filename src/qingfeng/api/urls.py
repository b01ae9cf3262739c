from __future__ import annotations

from ninja import NinjaAPI

from qingfeng.api.auth import TokenAuth, VerifiedSessionAuth
from qingfeng.api.orgs import router as orgs_router

api = NinjaAPI(
    title="清风 Qingfeng API",
    version="1",
    description="作风建设“学查改评”闭环管理平台接口。认证：浏览器会话或个人令牌（Authorization: Bearer …）。",
    auth=[TokenAuth(), VerifiedSessionAuth()],
    urls_namespace="api",
)
api.add_router("/orgs/", orgs_router)
api.add_router("/ledger/", "qingfeng.api.ledger.router")
