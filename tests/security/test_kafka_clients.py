"""Every Kafka client authenticates as its service over TLS (issue 12, item 3; decision 0021).

The local broker cannot do SASL, so the client configuration is tested itself: for SASL_SSL
and mutual-TLS settings, every client factory yields the protocol, mechanism, credentials and
an SSL context that verifies the brokers against our CA. Then clients really connect, to a
small TLS listener on loopback that stands in for a broker: with the wrong CA the handshake
is refused, with the right one it completes (the Kafka protocol after it then fails, which is
not what is tested here). The local stack itself stays plaintext, in development only.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import datetime
import ipaddress
import logging
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from faststream.kafka import KafkaBroker
from faststream.security import BaseSecurity, SASLScram512
from pydantic import SecretStr

from chassis.kafka_security import KafkaClientSettings, KafkaSecurity, kafka_security
from chassis.kafka_wire import ensure_topics, event_producer
from chassis.rebuild import replay_topics
from chassis.settings import ServiceSettings
from examples.public_subscriber import (
    Connection,
    connection_from,
    follow_path_events,
    follow_statistics,
    parser,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "scram-password-that-must-never-be-logged-3f9a"
USERNAME = "digipolku-tasks"


# --- A throwaway PKI: our CA, a stranger's CA, a broker certificate and a client's --------


@dataclass(frozen=True)
class Pki:
    ca: Path
    wrong_ca: Path
    broker_cert: Path
    broker_key: Path
    client_cert: Path
    client_key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: str,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool = False,
    server: bool = False,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        ).add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    else:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(path: Path, certificate: x509.Certificate) -> Path:
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    root = tmp_path_factory.mktemp("pki")
    ca_key, stranger_key, broker_key, client_key = _key(), _key(), _key(), _key()
    ca = _certificate("Digipolku test CA", ca_key, "Digipolku test CA", ca_key, ca=True)
    stranger = _certificate("Someone else's CA", stranger_key, "Someone else's CA", stranger_key)
    broker = _certificate("broker", broker_key, "Digipolku test CA", ca_key, server=True)
    client = _certificate(USERNAME, client_key, "Digipolku test CA", ca_key)
    _write_key(root / "broker.key", broker_key)
    _write_key(root / "client.key", client_key)
    return Pki(
        ca=_pem(root / "ca.crt", ca),
        wrong_ca=_pem(root / "wrong-ca.crt", stranger),
        broker_cert=_pem(root / "broker.crt", broker),
        broker_key=root / "broker.key",
        client_cert=_pem(root / "client.crt", client),
        client_key=root / "client.key",
    )


def sasl_settings(pki: Pki, ca: Path | None = None) -> ServiceSettings:
    return ServiceSettings(
        environment="development",
        service_name="tasks",
        kafka_security_protocol="SASL_SSL",
        kafka_username=USERNAME,
        kafka_password=SecretStr(PASSWORD),
        kafka_ca_file=ca or pki.ca,
    )


def mtls_settings(pki: Pki, ca: Path | None = None) -> ServiceSettings:
    return ServiceSettings(
        environment="development",
        service_name="tasks",
        kafka_security_protocol="SSL",
        kafka_ca_file=ca or pki.ca,
        kafka_cert_file=pki.client_cert,
        kafka_key_file=pki.client_key,
    )


def _ca_subjects(context: ssl.SSLContext) -> list[str]:
    certificates: list[Any] = context.get_ca_certs()
    return [
        value
        for certificate in certificates
        for rdn in certificate["subject"]
        for key, value in rdn
        if key == "commonName"
    ]


def _assert_verifies_against_our_ca(context: Any) -> None:
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert _ca_subjects(context) == ["Digipolku test CA"]


# --- The configuration each factory yields ---------------------------------------------------


def test_sasl_ssl_settings_give_scram_sha_512_as_the_service_over_tls(pki: Pki) -> None:
    options = kafka_security(sasl_settings(pki)).client_options()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == USERNAME
    assert options["sasl_plain_password"] == PASSWORD
    _assert_verifies_against_our_ca(options["ssl_context"])


def test_ssl_settings_give_mutual_tls_with_the_client_certificate(pki: Pki) -> None:
    options = kafka_security(mtls_settings(pki)).client_options()
    assert options["security_protocol"] == "SSL"
    assert "sasl_mechanism" not in options and "sasl_plain_password" not in options
    _assert_verifies_against_our_ca(options["ssl_context"])


def test_development_without_settings_is_the_local_plaintext_broker() -> None:
    settings = ServiceSettings(environment="development")
    assert kafka_security(settings).client_options() == {"security_protocol": "PLAINTEXT"}
    assert kafka_security(settings).broker_security() is None


def _client_settings(client: Any) -> dict[str, Any]:
    return {
        "security_protocol": client._security_protocol,
        "sasl_mechanism": client._sasl_mechanism,
        "sasl_plain_username": client._sasl_plain_username,
        "sasl_plain_password": client._sasl_plain_password,
        "ssl_context": client._ssl_context,
    }


async def test_the_relay_producer_and_the_rebuild_consumer_carry_the_security(pki: Pki) -> None:
    security = kafka_security(sasl_settings(pki))
    producer = event_producer("127.0.0.1:9", security=security)
    consumer = AIOKafkaConsumer(bootstrap_servers="127.0.0.1:9", **security.client_options())
    try:
        for client in (producer.client, consumer._client):
            made = _client_settings(client)
            assert made["security_protocol"] == "SASL_SSL"
            assert made["sasl_mechanism"] == "SCRAM-SHA-512"
            assert (made["sasl_plain_username"], made["sasl_plain_password"]) == (
                USERNAME,
                PASSWORD,
            )
            _assert_verifies_against_our_ca(made["ssl_context"])
    finally:
        await producer.stop()
        await consumer.stop()


@pytest.mark.parametrize("kind", ["sasl", "mtls"])
async def test_the_faststream_broker_gets_the_library_s_own_security(pki: Pki, kind: str) -> None:
    settings = sasl_settings(pki) if kind == "sasl" else mtls_settings(pki)
    security = kafka_security(settings).broker_security()
    if kind == "sasl":
        assert isinstance(security, SASLScram512)
    else:
        assert type(security) is BaseSecurity
    broker = KafkaBroker("127.0.0.1:9", security=security)
    # What FastStream will hand aiokafka for every consumer it makes.
    builder: Any = broker.config.broker_config.builder  # a functools.partial of the consumer
    made = builder.keywords
    assert made["security_protocol"] == ("SASL_SSL" if kind == "sasl" else "SSL")
    if kind == "sasl":
        assert made["sasl_mechanism"] == "SCRAM-SHA-512"
        assert (made["sasl_plain_username"], made["sasl_plain_password"]) == (USERNAME, PASSWORD)
    _assert_verifies_against_our_ca(made["ssl_context"])


def test_an_incomplete_tls_configuration_is_refused_in_any_environment(pki: Pki) -> None:
    with pytest.raises(ValueError, match="DIGIPOLKU_KAFKA_CA_FILE"):
        KafkaSecurity(protocol="SASL_SSL", username=USERNAME, password=SecretStr(PASSWORD))
    with pytest.raises(ValueError, match="DIGIPOLKU_KAFKA_PASSWORD"):
        KafkaSecurity(protocol="SASL_SSL", username=USERNAME, ca_file=pki.ca)
    with pytest.raises(ValueError, match="DIGIPOLKU_KAFKA_CERT_FILE"):
        KafkaSecurity(protocol="SSL", ca_file=pki.ca)


def test_production_refuses_a_plaintext_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    # The refusal lives in the settings (decision 0020); the relay on its own reads the same.
    for name in ("DIGIPOLKU_ENVIRONMENT", "DIGIPOLKU_KAFKA_SECURITY_PROTOCOL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError, match="DIGIPOLKU_KAFKA_SECURITY_PROTOCOL"):
        ServiceSettings(environment="production")
    with pytest.raises(ValueError, match="DIGIPOLKU_KAFKA_SECURITY_PROTOCOL is PLAINTEXT"):
        KafkaClientSettings(kafka_security_protocol="PLAINTEXT")
    assert KafkaClientSettings(environment="development").kafka_security_protocol is None


def test_the_password_never_shows_in_a_repr(pki: Pki) -> None:
    settings = sasl_settings(pki)
    security = kafka_security(settings)
    shown = [
        repr(settings),
        str(settings),
        repr(security),
        str(security),
        repr(security.broker_security()),
        repr(KafkaClientSettings(environment="development", kafka_password=SecretStr(PASSWORD))),
        repr(Connection("h:9093", username="u", password=PASSWORD, ca_file=pki.ca)),
    ]
    assert all(PASSWORD not in text for text in shown), shown


# --- The example subscriber, the template other organisations copy ---------------------------


def test_the_example_subscriber_refuses_plaintext_unless_told_it_is_development() -> None:
    with pytest.raises(ValueError, match="plaintext"):
        Connection("127.0.0.1:9092", protocol="PLAINTEXT")
    assert Connection("127.0.0.1:9092", protocol="PLAINTEXT", development=True)
    plain = parser().parse_args(["--bootstrap", "h:9092", "--security-protocol", "PLAINTEXT"])
    with pytest.raises(ValueError, match="plaintext"):
        connection_from(plain, {})


def test_the_example_subscriber_defaults_to_scram_over_tls_as_the_area(pki: Pki) -> None:
    args = parser().parse_args(
        ["--bootstrap", "h:9093", "--tenant", "pirkanmaa", "--ca-file", str(pki.ca)]
    )
    with pytest.raises(ValueError, match="DIGIPOLKU_SUBSCRIBER_PASSWORD"):
        connection_from(args, {})
    options = connection_from(args, {"DIGIPOLKU_SUBSCRIBER_PASSWORD": PASSWORD}).client_options()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "digipolku-area-pirkanmaa"
    _assert_verifies_against_our_ca(options["ssl_context"])


# --- No client in the services forgets its security ---------------------------------------------

CLIENT_CLASSES = {
    "AIOKafkaProducer",
    "AIOKafkaConsumer",
    "AIOKafkaAdminClient",
    "KafkaRouter",
    "KafkaBroker",
}
# Our factories whose plaintext default exists for tests and benches only.
FACTORIES = {"ensure_topics", "event_producer", "replay_topics", "rebuild", "rebuild_blue_green"}
# Code that runs against a real cluster; tests and benches start a local plaintext stack.
PRODUCTION_CODE = ["chassis", "services", "examples", "deploy", "simulator"]


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _production_sources() -> list[Path]:
    return [
        path
        for folder in PRODUCTION_CODE
        for path in sorted((REPO_ROOT / folder).rglob("*.py"))
        if "tests" not in path.relative_to(REPO_ROOT).parts
    ]


def test_every_kafka_client_in_production_code_is_given_its_security() -> None:
    found: list[str] = []
    forgotten: list[str] = []
    for path in _production_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _called_name(node)
            keywords = {keyword.arg for keyword in node.keywords}
            where = f"{path.relative_to(REPO_ROOT)}:{node.lineno} {name}"
            if name in CLIENT_CLASSES:
                found.append(where)
                # `**security.client_options()` (arg None) or FastStream's `security=`.
                if None not in keywords and "security" not in keywords:
                    forgotten.append(where)
            elif name in FACTORIES:
                found.append(where)
                if "security" not in keywords:
                    forgotten.append(where)
    assert len(found) >= 10, found  # the scan sees the clients (it can fail)
    assert forgotten == []


def test_every_topic_made_in_production_code_is_made_for_its_environment() -> None:
    # ensure_topics' default is the local broker's replication of 1 (decision 0026): a
    # service that left it out would make production topics that one broker's loss loses.
    calls: list[str] = []
    forgotten: list[str] = []
    for path in _production_sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _called_name(node) == "ensure_topics":
                where = f"{path.relative_to(REPO_ROOT)}:{node.lineno}"
                calls.append(where)
                if "environment" not in {keyword.arg for keyword in node.keywords}:
                    forgotten.append(where)
    assert len(calls) >= 3, calls  # the service, the relay's recovery, the public publisher
    assert forgotten == []


# --- Real connections to a TLS listener standing in for a broker ----------------------------


@dataclass
class TlsListener:
    """Accepts TLS on loopback; records each completed handshake and what came after it."""

    port: int = 0
    handshakes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"


@contextlib.asynccontextmanager
async def tls_listener(pki: Pki, *, client_ca: Path | None = None) -> AsyncIterator[TlsListener]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki.broker_cert, pki.broker_key)
    if client_ca is not None:  # mutual TLS: the broker insists on a certificate from our CA
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca)
    listener = TlsListener()

    async def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Called only once the TLS handshake has completed.
        peer = writer.get_extra_info("peercert") or {}
        subject = {key: value for rdn in peer.get("subject", ()) for key, value in rdn}
        record: dict[str, Any] = {"client": subject.get("commonName"), "request": b""}
        listener.handshakes.append(record)
        with contextlib.suppress(Exception):
            record["request"] = await asyncio.wait_for(reader.read(64), 5)
        writer.close()  # no Kafka here: the client fails after the handshake, as it should

    server = await asyncio.start_server(accepted, "127.0.0.1", 0, ssl=context)
    listener.port = server.sockets[0].getsockname()[1]
    try:
        yield listener
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 5)


async def _try(connect: Callable[[], Awaitable[Any]]) -> None:
    """Run a client's connection attempt; it fails (there is no Kafka), which is fine."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(connect(), 15)


def _attempts(security: KafkaSecurity, bootstrap: str) -> dict[str, Callable[[], Awaitable[Any]]]:
    """Each factory's client, connecting to `bootstrap`."""

    async def producer() -> None:
        made = event_producer(bootstrap, security=security)
        try:
            await made.start()
        finally:
            await made.stop()

    async def faststream() -> None:
        broker = KafkaBroker(bootstrap, security=security.broker_security())
        try:
            await broker.connect()
            await broker.ping(timeout=3)
        finally:
            await broker.stop()

    return {
        "relay producer": producer,
        "topic admin": lambda: ensure_topics(bootstrap, ["t"], security=security),
        "rebuild consumer": lambda: replay_topics(
            bootstrap, ["t"], [], give_up_after=5, security=security
        ),
        "service router": faststream,
    }


@pytest.mark.parametrize("client", ["relay producer", "topic admin", "rebuild consumer"])
async def test_a_client_with_the_wrong_ca_refuses_the_broker_and_the_right_one_connects(
    pki: Pki, client: str
) -> None:
    async with tls_listener(pki) as broker:
        await _try(
            _attempts(kafka_security(sasl_settings(pki, pki.wrong_ca)), broker.bootstrap)[client]
        )
        assert broker.handshakes == []  # the client would not talk to a broker it cannot verify
        await _try(_attempts(kafka_security(sasl_settings(pki)), broker.bootstrap)[client])
        assert broker.handshakes, "the right CA completes the TLS handshake"
        # After TLS the client speaks Kafka: a length-prefixed request (ApiVersions or the
        # SASL handshake), never anything in plaintext before the handshake.
        request = broker.handshakes[0]["request"]
        assert len(request) >= 8 and int.from_bytes(request[:4], "big") > 0


async def test_the_service_router_connects_over_tls_only_to_a_broker_it_can_verify(
    pki: Pki,
) -> None:
    async with tls_listener(pki) as broker:
        wrong = kafka_security(sasl_settings(pki, pki.wrong_ca))
        await _try(_attempts(wrong, broker.bootstrap)["service router"])
        assert broker.handshakes == []
        await _try(
            _attempts(kafka_security(sasl_settings(pki)), broker.bootstrap)["service router"]
        )
        assert broker.handshakes


async def test_mutual_tls_presents_the_service_s_certificate(pki: Pki) -> None:
    async with tls_listener(pki, client_ca=pki.ca) as broker:
        await _try(
            _attempts(kafka_security(mtls_settings(pki)), broker.bootstrap)["relay producer"]
        )
        assert [each["client"] for each in broker.handshakes][:1] == [USERNAME]


@pytest.mark.parametrize("follows", ["statistics", "path events"])
async def test_the_example_subscriber_verifies_the_broker(pki: Pki, follows: str) -> None:
    stop = asyncio.Event()

    async def nothing(event: object) -> None:
        return None

    async with tls_listener(pki) as broker:
        for ca in (pki.wrong_ca, pki.ca):
            connection = Connection(broker.bootstrap, username="u", password=PASSWORD, ca_file=ca)

            def subscribe(c: Connection = connection) -> Awaitable[None]:
                if follows == "statistics":
                    return follow_statistics(c, None, nothing, "kanta-hame.x", stop)
                return follow_path_events(c, "kanta-hame", nothing, "kanta-hame.x", stop)

            await _try(subscribe)
            if ca == pki.wrong_ca:
                assert broker.handshakes == []
        assert broker.handshakes


async def test_no_connection_attempt_logs_the_password(
    pki: Pki, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    async with tls_listener(pki) as broker:
        for attempt in _attempts(kafka_security(sasl_settings(pki)), broker.bootstrap).values():
            await _try(attempt)
        assert broker.handshakes  # the clients got as far as authenticating
    captured = capsys.readouterr()
    assert caplog.records  # the clients did log (debug level), so the check can fail
    assert PASSWORD not in caplog.text + captured.out + captured.err
