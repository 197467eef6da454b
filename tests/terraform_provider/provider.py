"""A plan-only stand-in for the Juju Terraform provider, speaking Terraform's plugin protocol v6.

Why: ``terraform show -json PLANFILE`` is the most faithful machine-readable description of a
Terraform deployment, but producing one needs the provider, which cannot be downloaded here.
Terraform delegates very little to a provider during ``plan``: the schema, config validation and
the planned new state. This stand-in answers exactly those, with the real provider's schemas
(``schemas.py``) and the framework's planning rule for a create: the configuration's values are
kept, every Computed attribute left null becomes unknown ("known after apply"), and
``trust`` takes its default ``false``. It never talks to Juju; apply is refused.

Protocol facts implemented here (go-plugin and tfplugin6):
- Terraform starts the plugin with ``PLUGIN_PROTOCOL_VERSIONS`` and, unless
  ``TF_DISABLE_PLUGIN_TLS`` is set, ``PLUGIN_CLIENT_CERT`` (mTLS); the plugin prints one
  handshake line ``1|6|tcp|127.0.0.1:PORT|grpc[|BASE64-DER-SERVER-CERT]`` on stdout.
- Values travel as msgpack with cty conventions: objects are maps, sets are arrays, an unknown
  value is the msgpack extension type 0.
"""

from __future__ import annotations

import base64
import datetime
import logging
import os
import sys
from concurrent import futures
from typing import Any

import grpc
import msgpack

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import goplugin_subset_pb2 as gp
import goplugin_subset_pb2_grpc as gp_grpc
import health_subset_pb2 as hp
import health_subset_pb2_grpc as hp_grpc
import tfplugin6_subset_pb2 as pb
import tfplugin6_subset_pb2_grpc as pb_grpc
from schemas import PROVIDER, RESOURCES, Attr, BlockType, ResourceType

log = logging.getLogger("stand-in-juju")

UNKNOWN = msgpack.ExtType(0, b"\x00")


class _Unknown:
    """A decoded unknown value (ext type 0, or 12 for an unknown with refinements)."""

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN_VALUE = _Unknown()


def _ext_hook(code: int, data: bytes) -> object:
    if code in (0, 12):
        return UNKNOWN_VALUE
    return msgpack.ExtType(code, data)


def decode(dv: pb.DynamicValue) -> Any:
    if dv.msgpack:
        return msgpack.unpackb(dv.msgpack, ext_hook=_ext_hook, raw=False, strict_map_key=False)
    if dv.json:
        import json

        return json.loads(dv.json)
    return None


def _default(obj: object) -> object:
    if obj is UNKNOWN_VALUE:
        return UNKNOWN
    raise TypeError(f"cannot encode {obj!r}")


def encode(value: Any) -> pb.DynamicValue:
    return pb.DynamicValue(msgpack=msgpack.packb(value, default=_default, use_bin_type=True))


# -- schema ---------------------------------------------------------------------------------


def _attr_pb(a: Attr) -> pb.Schema.Attribute:
    out = pb.Schema.Attribute(
        name=a.name, required=a.required, optional=a.optional, computed=a.computed, sensitive=a.sensitive
    )
    if a.nested:
        out.nested_type.CopyFrom(
            pb.Schema.Object(attributes=[_attr_pb(n) for n in a.nested], nesting=a.nesting.upper())
        )
    else:
        out.type = a.type_json()
    return out


def _block_pb(attrs: tuple[Attr, ...], blocks: tuple[BlockType, ...], version: int = 0) -> pb.Schema.Block:
    return pb.Schema.Block(
        version=version,
        attributes=[_attr_pb(a) for a in attrs],
        block_types=[
            pb.Schema.NestedBlock(
                type_name=b.name,
                block=_block_pb(b.attrs, ()),
                nesting=b.nesting.upper(),
                max_items=b.max_items,
            )
            for b in blocks
        ],
    )


def _schema_pb(rt: ResourceType) -> pb.Schema:
    return pb.Schema(version=rt.version, block=_block_pb(rt.attrs, rt.blocks, rt.version))


# -- planning -------------------------------------------------------------------------------


def _plan_attrs(
    value: dict[str, Any] | None, attrs: tuple[Attr, ...], blocks: tuple[BlockType, ...]
) -> dict[str, Any] | None:
    """The framework's create plan: config values kept, null Computed -> unknown, defaults applied."""
    if value is None or value is UNKNOWN_VALUE:
        return value
    out = dict(value)
    for a in attrs:
        current = out.get(a.name)
        if current is None and a.computed:
            out[a.name] = a.default if a.default is not None else UNKNOWN_VALUE
        elif a.nested and current is not None and current is not UNKNOWN_VALUE:
            if a.nesting in ("set", "list"):
                out[a.name] = [_plan_attrs(v, a.nested, ()) for v in current]
            elif a.nesting == "map":
                out[a.name] = {k: _plan_attrs(v, a.nested, ()) for k, v in current.items()}
            else:
                out[a.name] = _plan_attrs(current, a.nested, ())
    for b in blocks:
        current = out.get(b.name)
        if current is None or current is UNKNOWN_VALUE:
            continue
        if b.nesting == "single":
            out[b.name] = _plan_attrs(current, b.attrs, ())
        else:
            out[b.name] = [_plan_attrs(v, b.attrs, ()) for v in current]
    return out


class Provider(pb_grpc.ProviderServicer):
    """The tfplugin6 calls a plan needs."""

    def GetMetadata(self, request: Any, context: Any) -> pb.GetMetadata.Response:
        return pb.GetMetadata.Response(
            resources=[pb.GetMetadata.ResourceMetadata(type_name=n) for n in RESOURCES]
        )

    def GetProviderSchema(self, request: Any, context: Any) -> pb.GetProviderSchema.Response:
        resp = pb.GetProviderSchema.Response(provider=_schema_pb(PROVIDER))
        for name, rt in RESOURCES.items():
            resp.resource_schemas[name].CopyFrom(_schema_pb(rt))
        return resp

    def ValidateProviderConfig(self, request: Any, context: Any) -> pb.ValidateProviderConfig.Response:
        return pb.ValidateProviderConfig.Response()

    def ValidateResourceConfig(self, request: Any, context: Any) -> pb.ValidateResourceConfig.Response:
        return pb.ValidateResourceConfig.Response()

    def ConfigureProvider(self, request: Any, context: Any) -> pb.ConfigureProvider.Response:
        return pb.ConfigureProvider.Response()

    def PlanResourceChange(self, request: Any, context: Any) -> pb.PlanResourceChange.Response:
        rt = RESOURCES[request.type_name]
        proposed = decode(request.proposed_new_state)
        prior = decode(request.prior_state)
        if proposed is None:  # destroy
            return pb.PlanResourceChange.Response(planned_state=request.proposed_new_state)
        if prior is not None:
            diag = pb.Diagnostic(
                severity=pb.Diagnostic.ERROR,
                summary="stand-in provider",
                detail="the stand-in Juju provider plans creations only; it has no state to update",
            )
            return pb.PlanResourceChange.Response(diagnostics=[diag])
        planned = _plan_attrs(proposed, rt.attrs, rt.blocks)
        return pb.PlanResourceChange.Response(planned_state=encode(planned))

    def StopProvider(self, request: Any, context: Any) -> pb.StopProvider.Response:
        return pb.StopProvider.Response()


class Health(hp_grpc.HealthServicer):
    def Check(self, request: Any, context: Any) -> hp.HealthCheckResponse:
        return hp.HealthCheckResponse(status=hp.HealthCheckResponse.SERVING)


class Controller(gp_grpc.GRPCControllerServicer):
    def __init__(self, server: grpc.Server) -> None:
        self.server = server

    def Shutdown(self, request: Any, context: Any) -> gp.Empty:
        self.server.stop(grace=0.5)
        return gp.Empty()


def _tls_credentials(client_cert_pem: str) -> tuple[grpc.ServerCredentials, str]:
    """A fresh self-signed server certificate that trusts only Terraform's client certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "HashiCorp"),
        ]
    )
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(seconds=30))
        .not_valid_after(now + datetime.timedelta(hours=12))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, True, False, True, True, False, False, False), critical=True
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH, x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # go-plugin's client certificate uses ECDSA P-521, which gRPC's BoringSSL does not accept
    # for client authentication (the handshake fails with PEER_DID_NOT_RETURN_A_CERTIFICATE), so
    # the channel is server-authenticated TLS only: Terraform still verifies this certificate.
    del client_cert_pem
    creds = grpc.ssl_server_credentials([(key_pem, cert_pem)], require_client_auth=False)
    der = cert.public_bytes(serialization.Encoding.DER)
    return creds, base64.b64encode(der).decode().rstrip("=")


def main() -> None:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(message)s")
    versions = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", "6").split(",")
    if "6" not in versions:
        sys.stderr.write("stand-in juju provider speaks protocol 6 only\n")
        sys.exit(1)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    pb_grpc.add_ProviderServicer_to_server(Provider(), server)
    hp_grpc.add_HealthServicer_to_server(Health(), server)
    gp_grpc.add_GRPCControllerServicer_to_server(Controller(server), server)
    client_cert = os.environ.get("PLUGIN_CLIENT_CERT")
    cert_field = ""
    if client_cert:
        creds, cert_field = _tls_credentials(client_cert)
        port = server.add_secure_port("127.0.0.1:0", creds)
    else:
        port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    line = f"1|6|tcp|127.0.0.1:{port}|grpc"
    if cert_field:
        line += "|" + cert_field
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    server.wait_for_termination()


if __name__ == "__main__":
    main()
