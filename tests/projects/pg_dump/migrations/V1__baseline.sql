--
-- PostgreSQL database dump
--

\restrict 8SyXZF2mbeTkq2wdHtYS6UCTLnN0x65vILXcAK6PzDYNXTirZ4t3T3EO8g4Iu2r

-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: shop; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA shop;


--
-- Name: total(); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.total() RETURNS numeric
    LANGUAGE sql
    AS $$ SELECT sum(price) FROM shop.product $$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: product; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.product (
    id integer NOT NULL,
    name text NOT NULL,
    note text,
    price numeric(10,2),
    tags text[]
);


--
-- Name: cheap; Type: VIEW; Schema: shop; Owner: -
--

CREATE VIEW shop.cheap AS
 SELECT product.name
   FROM shop.product
  WHERE (product.price < (1)::numeric);


--
-- Name: product_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

CREATE SEQUENCE shop.product_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: product_id_seq; Type: SEQUENCE OWNED BY; Schema: shop; Owner: -
--

ALTER SEQUENCE shop.product_id_seq OWNED BY shop.product.id;


--
-- Name: review; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.review (
    id bigint NOT NULL,
    product_id integer,
    body text
);


--
-- Name: review_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.review ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.review_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: product id; Type: DEFAULT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.product ALTER COLUMN id SET DEFAULT nextval('shop.product_id_seq'::regclass);


--
-- Data for Name: product; Type: TABLE DATA; Schema: shop; Owner: -
--

COPY shop.product (id, name, note, price, tags) FROM stdin;
1	bolt	tab\tinside	1.50	{metal,small}
2	nut	back\\slash and 'quote'	0.25	\N
3	washer	\N	0.10	{}
4	crème	line\nbreak	9.99	{"a b"}
\.


--
-- Data for Name: review; Type: TABLE DATA; Schema: shop; Owner: -
--

COPY shop.review (id, product_id, body) FROM stdin;
1	1	good; -- really
2	2	\\.
\.


--
-- Name: product_id_seq; Type: SEQUENCE SET; Schema: shop; Owner: -
--

SELECT pg_catalog.setval('shop.product_id_seq', 4, true);


--
-- Name: review_id_seq; Type: SEQUENCE SET; Schema: shop; Owner: -
--

SELECT pg_catalog.setval('shop.review_id_seq', 2, true);


--
-- Name: product product_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.product
    ADD CONSTRAINT product_pkey PRIMARY KEY (id);


--
-- Name: review review_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.review
    ADD CONSTRAINT review_pkey PRIMARY KEY (id);


--
-- Name: review review_product_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.review
    ADD CONSTRAINT review_product_id_fkey FOREIGN KEY (product_id) REFERENCES shop.product(id);


--
-- PostgreSQL database dump complete
--

\unrestrict 8SyXZF2mbeTkq2wdHtYS6UCTLnN0x65vILXcAK6PzDYNXTirZ4t3T3EO8g4Iu2r

